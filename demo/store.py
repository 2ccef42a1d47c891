"""The demo's database: the connection pool, the schema and the job queue."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from signalpost.database import DatabaseInstrumentation

__all__ = [
    "QUEUED_JOB_TYPES",
    "QueuedJob",
    "claim_job",
    "database_url",
    "enqueue",
    "finish_job",
    "migrate",
    "open_pool",
]

SCHEMA = Path(__file__).with_name("schema.sql")
QUEUED_JOB_TYPES = ("matching", "resume_parsing")
"""The job types that wait in ``job_queue`` (the digest runs on a timer)."""


def database_url() -> str:
    """The libpq connection string of the demo database (``DEMO_DATABASE_URL``)."""
    url = os.environ.get("DEMO_DATABASE_URL")
    if not url:
        raise SystemExit("demo: set DEMO_DATABASE_URL to a libpq connection string")
    return url


async def open_pool(
    url: str, db: DatabaseInstrumentation, *, max_size: int = 10
) -> AsyncConnectionPool:
    """Open a pool whose connections time and trace every statement."""
    pool = AsyncConnectionPool(
        url,
        min_size=1,
        max_size=max_size,
        open=False,
        configure=db.configure_async,
        kwargs={"autocommit": True},
        timeout=5.0,
    )
    await pool.open(wait=False)
    return pool


async def migrate(pool: AsyncConnectionPool) -> None:
    """Create the tables when missing."""
    async with pool.connection() as conn:
        await conn.execute(SCHEMA.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class QueuedJob:
    """One claimed row of ``job_queue``."""

    id: int
    job_type: str
    payload: dict[str, Any]
    trace_context: dict[str, str]
    request_id: str | None
    enqueued_at: float
    """Unix time of the enqueue: the run records how long it waited."""


async def enqueue(
    pool: AsyncConnectionPool,
    job_type: str,
    payload: dict[str, Any],
    trace_context: dict[str, str],
    request_id: str | None,
) -> int:
    """Add a job to the queue; return its ID (the job ID in every signal)."""
    async with pool.connection() as conn:
        row = await (
            await conn.execute(
                "INSERT INTO job_queue (job_type, payload, trace_context, request_id) "
                "VALUES (%s, %s, %s, %s) RETURNING id",
                (job_type, json.dumps(payload), json.dumps(trace_context), request_id),
            )
        ).fetchone()
    assert row is not None
    return int(row[0])


async def claim_job(pool: AsyncConnectionPool, job_types: tuple[str, ...]) -> QueuedJob | None:
    """Take the oldest queued job of the given types, or ``None``."""
    async with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            "UPDATE job_queue SET state = 'running', started_at = now() WHERE id = ("
            "  SELECT id FROM job_queue WHERE state = 'queued' AND job_type = ANY(%s)"
            "  ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED"
            ") RETURNING id, job_type, payload, trace_context, request_id,"
            " extract(epoch FROM enqueued_at)::float8 AS enqueued_at",
            (list(job_types),),
        )
        row = await cur.fetchone()
    if row is None:
        return None
    return QueuedJob(
        id=row["id"],
        job_type=row["job_type"],
        payload=row["payload"],
        trace_context=row["trace_context"],
        request_id=row["request_id"],
        enqueued_at=float(row["enqueued_at"]),
    )


async def record_progress(pool: AsyncConnectionPool, job_id: int, done: int, total: int) -> None:
    """Store a job's progress for ``GET /queue/{id}``."""
    async with pool.connection() as conn:
        await conn.execute(
            "UPDATE job_queue SET progress_done = %s, progress_total = %s WHERE id = %s",
            (done, total, job_id),
        )


async def finish_job(
    pool: AsyncConnectionPool,
    job_id: int,
    state: str,
    error: str | None = None,
    error_class: str | None = None,
    finished_at: datetime | None = None,
) -> None:
    """Record a job's final state (``finished_at``: when it ended, default now)."""
    async with pool.connection() as conn:
        await conn.execute(
            "UPDATE job_queue SET state = %s, error = %s, error_class = %s,"
            " finished_at = coalesce(%s, now()) WHERE id = %s",
            (state, error, error_class, finished_at, job_id),
        )


async def job_status(pool: AsyncConnectionPool, job_id: int) -> dict[str, Any] | None:
    """One job's row as JSON-ready values, or ``None``."""
    async with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            "SELECT id, job_type, state, progress_done, progress_total, error, request_id,"
            " enqueued_at, started_at, finished_at FROM job_queue WHERE id = %s",
            (job_id,),
        )
        row = await cur.fetchone()
    if row is None:
        return None
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
