"""``reenqueue_after_outage`` end to end: a real PostgreSQL (the app's database) is stopped,
real Celery tasks that write to it fail with transient errors, the database comes back; a rule
stand-in posts ``DatabaseDown`` firing then resolved to a real Alertmanager, whose resolved
notification makes the runner re-enqueue the failed tasks through the app's hook, and verify
that they succeeded. The shipped rule, its window scaled from 90 s to 20 s."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path

import psycopg
import pytest
from celery import Celery

from alertmanager.recovery.procedures.outage import ReenqueueAfterOutage
from demo.postgres import PostgresServer
from tests.alertmanager.harness import AlertmanagerServer
from tests.alertmanager.recovery.harness import firing, recovery_stack, resolved
from tests.alertmanager.recovery.test_breaker import shipped
from tests.servers import wait_for

pytestmark = pytest.mark.slow
SERVICE = "svc-outage"


class CeleryDeadLetters:
    """The app's re-enqueue hook: the app notes what it enqueues (task, arguments, when);
    failures are read from Celery's result backend."""

    def __init__(self, app: Celery) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._sent: dict[str, tuple[str, tuple[str, ...], datetime]] = {}
        self._retried: set[str] = set()

    def send(self, name: str, *args: str) -> str:
        task_id = str(self._app.send_task(name, args=list(args)).id)
        with self._lock:
            self._sent[task_id] = (name, args, datetime.now().astimezone())
        return task_id

    def failed_during(self, service: str, since: datetime, until: datetime) -> Sequence[str]:
        with self._lock:
            sent = dict(self._sent)
            retried = set(self._retried)
        return [task_id for task_id, (_, _, at) in sent.items()
                if since <= at <= until and task_id not in retried
                and self.state(task_id) == ("FAILURE", "OperationalError")]

    def reenqueue(self, job_ids: Sequence[str]) -> Sequence[str]:
        new = []
        for task_id in job_ids:
            name, args, _ = self._sent[task_id]
            new.append(self.send(name, *args))
            with self._lock:
                self._retried.add(task_id)
        return new

    def succeeded(self, job_ids: Sequence[str]) -> bool:
        return all(self.state(i)[0] == "SUCCESS" for i in job_ids)

    def state(self, task_id: str) -> tuple[str, str]:
        """The task's state and its result's type, from the result backend. (No AsyncResult:
        one freed late talks to a Redis that may be gone.)"""
        meta = self._app.backend.get_task_meta(task_id)
        return str(meta["status"]), type(meta["result"]).__name__


class DatabaseRule:
    """Stands in for Prometheus' ``DatabaseDown`` rule: probes the database every 0.2 s and
    posts the alert firing while it is down, resolved when it is back."""

    def __init__(self, conninfo: str, am: AlertmanagerServer) -> None:
        self._conninfo = conninfo
        self._am = am
        self.labels = {"alertname": "DatabaseDown", "severity": "critical", "service": SERVICE}
        self.started: float | None = None
        self.resolved_at: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _up(self) -> bool:
        try:
            with psycopg.connect(self._conninfo, connect_timeout=1):
                return True
        except psycopg.OperationalError:
            return False

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            up = self._up()
            if not up and self.started is None:
                self.started = time.time()
                self._am.post_alerts([firing(self.labels, self.started)])
            elif up and self.started is not None and self.resolved_at is None:
                self.resolved_at = time.time()
                self._am.post_alerts([resolved(self.labels, self.started)])

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


@pytest.fixture(scope="module")
def app_database() -> Iterator[PostgresServer]:
    """The app's own PostgreSQL, which the test stops and starts."""
    server = PostgresServer()
    server.start()
    try:
        with psycopg.connect(server.conninfo, autocommit=True) as conn:
            conn.execute("CREATE TABLE writes (key text PRIMARY KEY)")
        yield server
    finally:
        server.destroy()


def test_jobs_failed_during_an_outage_are_reenqueued_once_it_resolves(
    database: str, tmp_path: Path, app_database: PostgresServer,
    celery_stack: tuple[str, Celery],
) -> None:
    _, client = celery_stack
    hook = CeleryDeadLetters(client)
    procedures = {"reenqueue_after_outage": ReenqueueAfterOutage(hook)}
    config = shipped("reenqueue-after-db-outage", verify_within="20s")
    with recovery_stack(database, config, procedures, tmp_path) as stack:
        rule = DatabaseRule(app_database.conninfo, stack.am)
        try:
            outage = time.time()
            app_database.stop()
            wait_for(lambda: rule.started, "DatabaseDown to fire")
            failed = [hook.send("tests.db_write", app_database.conninfo, f"k{i}")
                      for i in range(3)]
            wait_for(lambda: all(hook.state(i)[0] == "FAILURE" for i in failed),
                     "the writes to fail", timeout=30)
            # An outage Alertmanager never notified is not one (a rule's `for`).
            wait_for(lambda: stack.catcher.alerts("/history"), "DatabaseDown notified")
            app_database.start()
            wait_for(lambda: "verified" in stack.decisions(SERVICE),
                     "the re-enqueued writes to be verified", timeout=45)
            recovered = time.time()
        finally:
            rule.stop()
        rows = stack.rows(SERVICE)
        assert [r["decision"] for r in rows] == ["acted", "verified"]
        assert rows[0]["detail"] == "re-enqueued 3 job(s) that failed during the outage"
        assert rows[0]["target"] == f"service={SERVICE}"
    with psycopg.connect(app_database.conninfo) as conn:
        keys = {k for (k,) in conn.execute("SELECT key FROM writes")}
    assert keys == {"k0", "k1", "k2"}
    assert rule.resolved_at is not None
    print(f"outage: {rule.resolved_at - outage:.1f} s of outage; failed writes re-enqueued and "
          f"succeeded {recovered - rule.resolved_at:.1f} s after it resolved "
          f"({recovered - outage:.1f} s after the fault)")
    assert recovered - rule.resolved_at < 120
