"""The demo's recovery procedures on a real PostgreSQL: the re-enqueue hook picks only the
worker's transient failures of the outage window, once; the requeue copies a running row."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from alertmanager.history.payload import AlertRecord
from alertmanager.recovery.procedures.outage import ReenqueueAfterOutage
from demo.recovery import (
    QueueReenqueueHook,
    QueueRequeue,
    outage_lookback,
    procedures,
    read_token,
    stuck_after,
)
from demo.store import SCHEMA
from prometheus.knobs import load_knobs
from tests import postgres

NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def conninfo() -> Iterator[str]:
    server = postgres.acquire()
    name = f"demo_recovery_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server.conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    dsn = server.conninfo.replace("dbname=postgres", f"dbname={name}")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SCHEMA.read_text(encoding="utf-8"))
        conn.execute(SCHEMA.read_text(encoding="utf-8"))  # idempotent, as at every start
    yield dsn
    with psycopg.connect(server.conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    postgres.release()


def _job(dsn: str, state: str, error_class: str | None, ago: float) -> str:
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "INSERT INTO job_queue (job_type, payload, state, error_class, finished_at)"
            " VALUES ('matching', %s, %s, %s, %s) RETURNING id",
            (json.dumps({"posting_id": 1}), state, error_class, NOW - timedelta(seconds=ago)),
        ).fetchone()
    assert row is not None
    return str(row[0])


def test_the_hook_re_enqueues_transient_failures_of_the_outage_once(conninfo: str) -> None:
    hook = QueueReenqueueHook(conninfo, "demo-worker")
    transient = _job(conninfo, "failed", "transient", ago=60)
    _job(conninfo, "failed", "permanent", ago=60)  # bad data fails again: never re-run
    _job(conninfo, "failed", "transient", ago=900)  # before the outage
    _job(conninfo, "succeeded", None, ago=60)
    since, until = NOW - timedelta(seconds=300), NOW
    assert hook.failed_during("demo-api", since, until) == []  # the API runs no queued job
    assert hook.failed_during("demo-worker", since, until) == [transient]
    (new,) = hook.reenqueue([transient])
    assert hook.failed_during("demo-worker", since, until) == []  # once only
    with psycopg.connect(conninfo) as conn:
        row = conn.execute("SELECT state, retry_of, payload FROM job_queue WHERE id = %s",
                           (int(new),)).fetchone()
    assert row == ("queued", int(transient), {"posting_id": 1})
    assert hook.succeeded([new]) is False
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("UPDATE job_queue SET state = 'succeeded' WHERE id = %s", (int(new),))
    assert hook.succeeded([new]) is True


def test_requeue_copies_only_a_running_row(conninfo: str) -> None:
    requeue = QueueRequeue(conninfo)
    running = _job(conninfo, "running", None, ago=0)
    assert requeue.capture(_job(conninfo, "succeeded", None, ago=0), None) is None
    assert requeue.capture("not-a-number", None) is None
    spec = requeue.capture(running, "worker-1")
    assert spec is not None and spec.name == "matching"
    new = requeue.resubmit(spec)
    with psycopg.connect(conninfo) as conn:
        row = conn.execute("SELECT state, retry_of, job_type FROM job_queue WHERE id = %s",
                           (int(new),)).fetchone()
    assert row == ("queued", int(running), "matching")


def test_procedures_need_their_settings_and_read_the_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("DEMO_DATABASE_URL", "DEMO_WORKER_JOBS_URL", "DEMO_JOBS_TOKEN_FILE",
                "DEMO_RECOVERY_STUCK_AFTER", "DEMO_RECOVERY_OUTAGE_LOOKBACK"):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(SystemExit, match="DEMO_WORKER_JOBS_URL, DEMO_JOBS_TOKEN_FILE"):
        monkeypatch.setenv("DEMO_DATABASE_URL", "dbname=x")
        procedures()
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(ValueError, match="empty"):
        read_token(empty)
    token = tmp_path / "token"
    token.write_text("s3cret\n")
    monkeypatch.setenv("DEMO_WORKER_JOBS_URL", "http://127.0.0.1:1/jobs")
    monkeypatch.setenv("DEMO_JOBS_TOKEN_FILE", str(token))
    assert sorted(procedures()) == ["breaker_watch", "cancel_stuck_jobs",
                                    "reenqueue_after_outage"]
    assert read_token(token) == "s3cret"


def test_stuck_after_is_the_shortest_threshold_of_the_knobs() -> None:
    knobs = load_knobs(Path(__file__).resolve().parents[2] / "demo" / "stack-config"
                       / "prometheus" / "knobs.yaml")
    assert stuck_after(knobs) == 15 * 60  # the default; matching's own is 30m


def test_outage_lookback_is_the_rules_detection_lag() -> None:
    knobs = load_knobs(Path(__file__).resolve().parents[2] / "demo" / "stack-config"
                       / "prometheus" / "knobs.yaml")
    assert outage_lookback(knobs) == 60 + 30 + 2 * 15  # for, evaluation, check and scrape


def test_a_job_that_failed_as_the_outage_began_counts_with_the_lookback(conninfo: str) -> None:
    """DatabaseDown starts when its rule fires, after the jobs caught by the outage failed."""
    with psycopg.connect(conninfo, autocommit=True) as conn:  # earlier tests' rows
        conn.execute("UPDATE job_queue SET error_class = 'done' WHERE state = 'failed'")
    caught = _job(conninfo, "failed", "transient", ago=100)
    _job(conninfo, "failed", "transient", ago=200)  # before the outage and its lookback
    alert = AlertRecord(
        fingerprint="f", alertname="DatabaseDown", status="resolved", severity="critical",
        service="demo-worker", starts_at=NOW - timedelta(seconds=60), ends_at=NOW,
        labels={"service": "demo-worker"}, annotations={}, receiver="recovery", group_key="g",
    )
    hook = QueueReenqueueHook(conninfo, "demo-worker")
    assert ReenqueueAfterOutage(hook).check(alert) == (
        "no job failed with a transient error during the outage")
    procedure = ReenqueueAfterOutage(hook, lookback=60)
    assert procedure.check(alert) is None
    assert procedure.act(alert) == "re-enqueued 1 job(s) that failed during the outage"
    assert procedure.check(alert) == "no job failed with a transient error during the outage"
    with psycopg.connect(conninfo) as conn:
        retried = conn.execute("SELECT retry_of FROM job_queue WHERE retry_of IS NOT NULL"
                               " ORDER BY id DESC LIMIT 1").fetchone()
    assert retried == (int(caught),)
    with pytest.raises(ValueError, match="lookback"):
        ReenqueueAfterOutage(hook, lookback=-1)
