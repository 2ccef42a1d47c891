"""The recovery runner under test: served by a real uvicorn in a thread (its procedures are
Python objects the test builds), on a migrated database in the session's PostgreSQL, with a real
Alertmanager whose generated configuration routes to it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import psycopg
import uvicorn
import yaml

from alertmanager.generate import render
from alertmanager.knobs import RecoveryKnobs
from alertmanager.recovery.app import create_app
from alertmanager.recovery.config import parse_config
from alertmanager.recovery.procedure import Procedure
from tests.alertmanager.harness import AlertmanagerServer, WebhookCatcher, local_knobs
from tests.servers import free_port, wait_for

__all__ = ["WEBHOOK_TOKEN", "RunnerServer", "Stack", "firing", "recovery_stack", "resolved"]

WEBHOOK_TOKEN = "recovery-webhook-test-token"


class RunnerServer:
    """``create_app(...)`` served by uvicorn in a thread until :meth:`stop`."""

    def __init__(self, app: Any, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None,
                                lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        wait_for(lambda: self.server.started, "the recovery runner to start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


@dataclass
class Stack:
    """A runner, its database and the Alertmanager routing to it."""

    conninfo: str
    runner: RunnerServer
    am: AlertmanagerServer
    catcher: WebhookCatcher

    def rows(self, service: str) -> list[dict[str, Any]]:
        """The decisions recorded for ``service``, oldest first."""
        with psycopg.connect(self.conninfo) as conn:
            cursor = conn.execute(
                "SELECT alertname, rule, procedure, target, decision, detail, seconds, labels,"
                " starts_at, at FROM recovery_actions WHERE service = %s ORDER BY id",
                (service,))
            columns = [c.name for c in cursor.description or ()]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    def decisions(self, service: str) -> list[str]:
        return [row["decision"] for row in self.rows(service)]

    def escalations(self, service: str) -> list[dict[str, Any]]:
        """The ``RecoveryFailed`` alerts Alertmanager holds for ``service``."""
        return [a for a in self.am.alerts() if a["labels"].get("alertname") == "RecoveryFailed"
                and a["labels"].get("service") == service]


def _timestamp(at: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at)) + f".{int(at % 1 * 1e6):06d}Z"


def firing(labels: Mapping[str, str], started: float) -> dict[str, Any]:
    """An alert as Prometheus posts it while it fires (Alertmanager resolves it after 5 m)."""
    return {"labels": dict(labels), "annotations": {"summary": "test"},
            "startsAt": _timestamp(started), "endsAt": _timestamp(time.time() + 300)}


def resolved(labels: Mapping[str, str], started: float) -> dict[str, Any]:
    """The same alert, resolved now."""
    return {"labels": dict(labels), "annotations": {"summary": "test"},
            "startsAt": _timestamp(started), "endsAt": _timestamp(time.time())}


@contextmanager
def recovery_stack(
    conninfo: str, config: Mapping[str, Any], procedures: Mapping[str, Procedure],
    directory: Path, *, repeat_interval: str = "1h",
) -> Iterator[Stack]:
    """The runner with ``config`` (the YAML mapping) and ``procedures``, and an Alertmanager
    with the generated routing (group_wait and group_interval 1 s, re-sends every
    ``repeat_interval``) whose recovery receiver is that runner."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("TRUNCATE recovery_actions")
    rules = directory / "recovery.yaml"
    rules.write_text(yaml.safe_dump(dict(config)), encoding="utf-8")
    port = free_port()
    token_file = directory / "recovery-token"
    token_file.write_text(WEBHOOK_TOKEN + "\n", encoding="utf-8")
    catcher = WebhookCatcher()
    knobs = local_knobs(pager_url=f"{catcher.url}/pager", history_url=f"{catcher.url}/history",
                        watchdog_url=f"{catcher.url}/watchdog")
    knobs = knobs.with_receivers(
        recovery=RecoveryKnobs(url=f"http://127.0.0.1:{port}/alerts", rules=str(rules),
                               credentials_file=str(token_file)),
        timing=replace(knobs.timing, warning_repeat_interval=repeat_interval,
                       critical_repeat_interval=repeat_interval),
    )
    am = AlertmanagerServer(render(knobs))
    runner: RunnerServer | None = None
    try:
        app = create_app(conninfo, parse_config(dict(config)), procedures, am.url,
                         webhook_token=WEBHOOK_TOKEN)
        runner = RunnerServer(app, port)
        yield Stack(conninfo, runner, am, catcher)
    finally:
        if runner is not None:
            runner.stop()
        am.stop()
        catcher.close()
