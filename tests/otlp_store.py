"""The local OTLP receiver (``python -m collector.receiver``) on a fresh database of the
session's throwaway PostgreSQL, for the receiver, lookup and CLI tests."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg

from tests import postgres
from tests.servers import Server, free_port, serve

__all__ = ["fresh_database", "post_otlp", "receiver", "store_text"]


@contextmanager
def fresh_database(server: postgres.PostgresServer) -> Iterator[str]:
    """A new, empty database; yields its conninfo and drops it afterwards."""
    name = f"telemetry_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server.conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.conninfo.replace("dbname=postgres", f"dbname={name}")
    finally:
        if not server.is_running():
            server.start()
        with psycopg.connect(server.conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def receiver(conninfo: str, log: Path, *args: str) -> Iterator[Server]:
    """The receiver on a free port, answering ``/health`` (its tables exist) when yielded."""
    port = free_port()
    command = [sys.executable, "-m", "collector.receiver", "--dsn", conninfo,
               "--port", str(port), *args]
    with serve(command, f"http://127.0.0.1:{port}", log, ready_path="/health") as server:
        httpx.get(f"{server.base_url}/health", timeout=10).raise_for_status()
        yield server


def post_otlp(base_url: str, path: str, message: Any, **headers: str) -> httpx.Response:
    """POST one OTLP protobuf message as an exporter does."""
    return httpx.post(
        f"{base_url}{path}", content=message.SerializeToString(),
        headers={"Content-Type": "application/x-protobuf", **headers}, timeout=30,
    )


def store_text(conninfo: str) -> str:
    """Every stored span and log record as JSON text (what a leak check searches)."""
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            "SELECT row_to_json(s)::text FROM signalpost_spans s UNION ALL "
            "SELECT row_to_json(x)::text FROM signalpost_logs x"
        ).fetchall()
    return "\n".join(str(r[0]) for r in rows)
