"""The history receiver served by a real uvicorn (``python -m alertmanager.history``) on a
database of its own in the session's throwaway PostgreSQL, and an Alertmanager delivering to it."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from alertmanager.generate import render
from tests import postgres
from tests.alertmanager.harness import (
    AlertmanagerServer,
    WebhookCatcher,
    local_knobs,
)
from tests.servers import free_port, wait_answering

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[postgres.PostgresServer]:
    server = postgres.acquire()
    yield server
    postgres.release()


@pytest.fixture(scope="module")
def database(postgres_server: postgres.PostgresServer) -> Iterator[str]:
    """A fresh database; yields its conninfo."""
    name = f"history_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_server.conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield postgres_server.conninfo.replace("dbname=postgres", f"dbname={name}")
    if not postgres_server.is_running():
        postgres_server.start()
    with psycopg.connect(postgres_server.conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Receiver:
    """``python -m alertmanager.history`` in a subprocess, its log in a file."""

    def __init__(self, conninfo: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_file = Path(tempfile.mkstemp(prefix="alert-history-", suffix=".log")[1])
        env = {**os.environ, "DATABASE_URL": conninfo, "OTEL_SDK_DISABLED": "true",
               "ALERT_HISTORY_HOST": "127.0.0.1", "ALERT_HISTORY_PORT": str(self.port)}
        with open(self.log_file, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "alertmanager.history"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )
        wait_answering(self.process, f"{self.url}/metrics", self.log, what="history receiver")

    def log(self) -> str:
        return self.log_file.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log_file.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def receiver(database: str) -> Iterator[Receiver]:
    server = Receiver(database)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def history_alertmanager(
    receiver: Receiver, catcher: WebhookCatcher
) -> Iterator[AlertmanagerServer]:
    """Alertmanager with the generated routing tree, its history receiver being ours."""
    knobs = local_knobs(
        pager_url=f"{catcher.url}/pager",
        history_url=f"{receiver.url}/alerts",
        watchdog_url=f"{catcher.url}/watchdog",
    )
    server = AlertmanagerServer(render(knobs))
    yield server
    server.stop()
