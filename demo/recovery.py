"""The demo's recovery procedures, offered to the recovery runner (docs/recovery.md)::

    RECOVERY_PROCEDURES=demo.recovery:procedures python -m alertmanager.recovery

The shipped procedures act on the demo's own queue, the ``job_queue`` table: a stuck run is
cancelled through the worker's authenticated ``/jobs`` endpoint and its row is enqueued again
(:class:`QueueRequeue`); jobs that failed with transient errors during a database outage are
re-enqueued once ``DatabaseDown`` resolves, through the demo's re-enqueue hook
(:class:`QueueReenqueueHook`).

Environment: ``DEMO_DATABASE_URL`` (the demo's database), ``DEMO_WORKER_JOBS_URL`` (the worker's
running-jobs endpoint, e.g. ``http://worker:8000/jobs``), ``DEMO_JOBS_TOKEN_FILE`` (a file
holding the bearer token of that endpoint, the one the worker requires and Prometheus scrapes
with), ``DEMO_WORKER_SERVICE`` (default ``demo-worker``) and ``DEMO_RECOVERY_STUCK_AFTER``
(seconds without progress that make a run stuck; default: the shortest ``no_progress_after`` of
the demo's Prometheus knobs, the threshold JobStuck fires at) and
``DEMO_RECOVERY_OUTAGE_LOOKBACK`` (seconds before DatabaseDown's start whose failures belong to
the outage; default: :func:`outage_lookback` of the demo's Prometheus knobs).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from alertmanager.recovery.procedure import Procedure
from alertmanager.recovery.procedures.breaker import BreakerWatch
from alertmanager.recovery.procedures.jobs import CancelStuckJobs, TaskSpec
from alertmanager.recovery.procedures.outage import ReenqueueAfterOutage
from prometheus import knobs as prometheus_knobs

__all__ = [
    "QueueReenqueueHook",
    "QueueRequeue",
    "outage_lookback",
    "procedures",
    "read_token",
    "stuck_after",
]

KNOBS = Path(__file__).resolve().parent / "stack-config" / "prometheus" / "knobs.yaml"
QUEUE = "job_queue"
_COPY = (
    "INSERT INTO job_queue (job_type, payload, trace_context, request_id, retry_of) "
    "SELECT job_type, payload, trace_context, request_id, id FROM job_queue "
    "WHERE id = ANY(%s) ORDER BY id RETURNING id"
)


def read_token(path: str | Path) -> str:
    """The bearer token in ``path`` (surrounding whitespace dropped); refuses an empty one."""
    token = Path(path).read_text(encoding="utf-8").strip()
    if not token:
        raise ValueError(f"{path}: the token file is empty")
    return token


def stuck_after(knobs: prometheus_knobs.Knobs) -> float:
    """The shortest ``no_progress_after`` of ``knobs``: no run the alert names is missed."""
    values = [knobs.alerts.job_stuck.no_progress_after]
    values += [t.no_progress_after for t in knobs.job_types.values() if t.no_progress_after]
    return min(prometheus_knobs.seconds(v) for v in values)


def outage_lookback(knobs: prometheus_knobs.Knobs) -> float:
    """How long before ``DatabaseDown`` starts its outage may have begun: the rule's ``for``, an
    evaluation interval and two scrape intervals (the scrape, and the health check's own period,
    which the demo keeps no longer than a scrape interval)."""
    return (
        prometheus_knobs.seconds(knobs.alerts.database_down.for_)
        + prometheus_knobs.seconds(knobs.evaluation_interval)
        + 2 * prometheus_knobs.seconds(knobs.scrape_interval)
    )


class QueueRequeue:
    """:class:`~alertmanager.recovery.procedures.jobs.Requeue` for the demo's ``job_queue``:
    the running row is copied into a new queued row (``retry_of`` names the original)."""

    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo

    def capture(self, job_id: str, worker: str | None) -> TaskSpec | None:
        """The running row ``job_id`` (``None``: no such running row)."""
        if not job_id.isdigit():
            return None
        with psycopg.connect(self._conninfo, connect_timeout=5) as conn:
            row = conn.execute(
                "SELECT job_type, payload, trace_context, request_id FROM job_queue "
                "WHERE id = %s AND state = 'running'", (int(job_id),),
            ).fetchone()
        if row is None:
            return None
        kwargs = {"payload": row[1], "trace_context": row[2], "request_id": row[3],
                  "retry_of": int(job_id)}
        return TaskSpec(str(row[0]), (), kwargs, QUEUE)

    def resubmit(self, spec: TaskSpec) -> str:
        """Insert the new row; return its ID (the job ID of the retry)."""
        k: dict[str, Any] = dict(spec.kwargs)
        with psycopg.connect(self._conninfo, connect_timeout=5, autocommit=True) as conn:
            row = conn.execute(
                "INSERT INTO job_queue (job_type, payload, trace_context, request_id, retry_of)"
                " VALUES (%s, %s, %s, %s, %s) RETURNING id",
                (spec.name, Jsonb(k["payload"]), Jsonb(k["trace_context"]), k["request_id"],
                 k["retry_of"]),
            ).fetchone()
        assert row is not None  # INSERT ... RETURNING always returns the row
        return str(row[0])


class QueueReenqueueHook:
    """The demo's :class:`~alertmanager.recovery.procedures.outage.ReenqueueHook`: jobs of the
    worker service that failed with a transient error class, not re-enqueued yet."""

    def __init__(self, conninfo: str, service: str) -> None:
        self._conninfo = conninfo
        self._service = service

    def failed_during(self, service: str, since: datetime, until: datetime) -> Sequence[str]:
        """IDs of the worker's transient failures between ``since`` and ``until``."""
        if service != self._service:  # only the worker runs queued jobs
            return []
        with psycopg.connect(self._conninfo, connect_timeout=5) as conn:
            rows = conn.execute(
                "SELECT f.id FROM job_queue f WHERE f.state = 'failed'"
                " AND f.error_class = 'transient' AND f.finished_at BETWEEN %s AND %s"
                " AND NOT EXISTS (SELECT 1 FROM job_queue r WHERE r.retry_of = f.id)"
                " ORDER BY f.id", (since, until),
            ).fetchall()
        return [str(r[0]) for r in rows]

    def reenqueue(self, job_ids: Sequence[str]) -> Sequence[str]:
        """Copy each failed row into a new queued row; return the new IDs."""
        with psycopg.connect(self._conninfo, connect_timeout=5, autocommit=True) as conn:
            rows = conn.execute(_COPY, ([int(i) for i in job_ids],)).fetchall()
        return [str(r[0]) for r in rows]

    def succeeded(self, job_ids: Sequence[str]) -> bool:
        """Whether every row in ``job_ids`` finished with ``succeeded``."""
        with psycopg.connect(self._conninfo, connect_timeout=5) as conn:
            row = conn.execute(
                "SELECT count(*) FILTER (WHERE state = 'succeeded') FROM job_queue"
                " WHERE id = ANY(%s)", ([int(i) for i in job_ids],),
            ).fetchone()
        return row is not None and row[0] == len(job_ids)


def procedures() -> dict[str, Procedure]:
    """The procedures the demo offers, by the names the rules use (see the module docstring)."""
    env = os.environ
    missing = [k for k in ("DEMO_DATABASE_URL", "DEMO_WORKER_JOBS_URL", "DEMO_JOBS_TOKEN_FILE")
               if not env.get(k)]
    if missing:
        raise SystemExit(f"demo.recovery: set {', '.join(missing)}")
    conninfo = env["DEMO_DATABASE_URL"]
    service = env.get("DEMO_WORKER_SERVICE", "demo-worker")
    threshold = env.get("DEMO_RECOVERY_STUCK_AFTER")
    lookback = env.get("DEMO_RECOVERY_OUTAGE_LOOKBACK")
    knobs = prometheus_knobs.load_knobs(KNOBS)
    stuck = float(threshold) if threshold else stuck_after(knobs)
    before = float(lookback) if lookback else outage_lookback(knobs)
    return {
        "cancel_stuck_jobs": CancelStuckJobs(
            {service: env["DEMO_WORKER_JOBS_URL"]}, read_token(env["DEMO_JOBS_TOKEN_FILE"]),
            QueueRequeue(conninfo), stuck_after=stuck,
        ),
        "reenqueue_after_outage": ReenqueueAfterOutage(
            QueueReenqueueHook(conninfo, service), lookback=before
        ),
        "breaker_watch": BreakerWatch(),
    }

