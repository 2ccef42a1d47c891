"""The own-queue example against real PostgreSQL: the demo's ``job_queue`` backlog source and
the wait a claimed job's run records."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry
from psycopg import sql

from demo import store
from demo.backlog import QueueTableBacklog
from signalpost.database import DatabaseInstrumentation
from signalpost.jobs import JobOptions, RunningJobs, monitored_job, watch_backlog
from signalpost.runtime import Runtime
from signalpost.semconv import jobs as spec
from tests import postgres


@pytest.fixture(scope="module")
def server() -> Iterator[postgres.PostgresServer]:
    found = postgres.acquire()
    yield found
    postgres.release()


@pytest.fixture
def dsn(server: postgres.PostgresServer) -> Iterator[str]:
    """A fresh schema with the demo's tables."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server.conninfo, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    url = f"{server.conninfo} options='-c search_path={schema}'"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(store.SCHEMA.read_text(encoding="utf-8"))
    yield url
    with psycopg.connect(server.conninfo, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


NOW = time.time()


def _enqueue(url: str, job_type: str, seconds_ago: float, state: str = "queued") -> None:
    """A row enqueued ``seconds_ago`` before :data:`NOW`."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO job_queue (job_type, state, enqueued_at)"
            " VALUES (%s, %s, to_timestamp(%s))",
            (job_type, state, NOW - seconds_ago),
        )


def test_the_queue_table_reports_its_backlog_per_type(dsn: str) -> None:
    _enqueue(dsn, "resume_parsing", 90)
    _enqueue(dsn, "resume_parsing", 30)
    _enqueue(dsn, "matching", 10)
    _enqueue(dsn, "matching", 500, state="running")  # not waiting
    source = QueueTableBacklog(dsn)
    registry = CollectorRegistry()
    watch_backlog(
        source,
        registry=registry,
        job_types=[(t, "") for t in store.QUEUED_JOB_TYPES],
        clock=lambda: NOW,
    )
    get = registry.get_sample_value
    assert get(spec.WAITING.name, {"job_type": "resume_parsing", "job_queue": ""}) == 2
    assert get(spec.WAITING.name, {"job_type": "matching", "job_queue": ""}) == 1
    age = get(spec.OLDEST_WAITING_AGE.name, {"job_type": "resume_parsing", "job_queue": ""})
    assert age == pytest.approx(90, abs=1e-5)  # timestamptz keeps microseconds
    source.close()


def test_a_lost_connection_fails_one_scrape_and_the_next_reconnects(
    dsn: str, server: postgres.PostgresServer
) -> None:
    source = QueueTableBacklog(dsn)
    assert source() == []
    with psycopg.connect(server.conninfo, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE pid <> pg_backend_pid() AND query LIKE 'SELECT job_type%%'"
        )
    with pytest.raises(psycopg.Error):
        source()
    _enqueue(dsn, "matching", 1)
    assert [row.job_type for row in source()] == ["matching"]
    source.close()


async def test_a_claimed_job_records_how_long_it_waited(
    dsn: str, registry: CollectorRegistry, tracer_provider: TracerProvider
) -> None:
    _enqueue(dsn, "resume_parsing", 42 + NOW - time.time())  # 42 s ago
    pool = await store.open_pool(dsn, DatabaseInstrumentation(runtime=Runtime(registry=CollectorRegistry())))
    try:
        await pool.wait(timeout=30)
        job = await store.claim_job(pool, store.QUEUED_JOB_TYPES)
    finally:
        await pool.close()
    assert job is not None

    @monitored_job(
        "resume_parsing",
        runtime=Runtime(registry=registry, tracer_provider=tracer_provider, running=RunningJobs()),
        options=JobOptions(enqueued_at=lambda queued: queued.enqueued_at),
    )
    async def parse(queued: store.QueuedJob) -> None:
        return None

    await parse(job)
    labels = {"job_type": "resume_parsing", "job_queue": ""}
    waited = registry.get_sample_value(f"{spec.WAIT_DURATION.name}_sum", labels)
    assert waited is not None and 42 <= waited < 42 + 60
    assert registry.get_sample_value(f"{spec.WAIT_DURATION.name}_count", labels) == 1
