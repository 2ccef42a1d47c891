"""The worker's owed outcomes on a real PostgreSQL that goes away and comes back: a run that
ends during the outage is written once the database answers, with the time it ended, and the
database check reports the database up only after that write."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

import signalpost
from demo import store
from demo.outcomes import OwedFirstCheck, OwedOutcomes
from demo.postgres import PostgresServer
from signalpost.health import CheckSettings
from signalpost.health.result import Status

pytestmark = pytest.mark.slow


@pytest.fixture
def server() -> Iterator[PostgresServer]:
    """A database of its own: the test stops and starts it."""
    server = PostgresServer()
    server.start()
    try:
        with psycopg.connect(server.conninfo, autocommit=True) as conn:
            conn.execute(store.SCHEMA.read_text(encoding="utf-8"))
        yield server
    finally:
        server.destroy()


@pytest.fixture
async def pool(server: PostgresServer) -> AsyncIterator[AsyncConnectionPool]:
    pool = await store.open_pool(server.conninfo, signalpost.DatabaseInstrumentation())
    await pool.wait(timeout=30)
    yield pool
    await pool.close()


def _running_job(conninfo: str) -> int:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        row = conn.execute(
            "INSERT INTO job_queue (job_type, payload, state) VALUES ('matching', %s, 'running')"
            " RETURNING id", (json.dumps({"posting_id": 1}),),
        ).fetchone()
        conn.execute("CHECKPOINT")  # commits are asynchronous here: keep them across the crash
    assert row is not None
    return int(row[0])


async def test_an_outcome_owed_during_an_outage_is_written_before_the_check_passes(
    server: PostgresServer, pool: AsyncConnectionPool
) -> None:
    job = _running_job(server.conninfo)
    owed = OwedOutcomes(pool)
    check = OwedFirstCheck(signalpost.PostgresCheck(server.conninfo, settings=CheckSettings(timeout=2)), owed)
    assert (check.name, check.critical, check.timeout) == ("postgres", True, 2)
    assert (await check.run()).status is Status.HEALTHY  # nothing owed: the check alone
    server.stop("immediate")
    try:
        owed.add(job, "failed", "OperationalError", "transient")
        ended = datetime.now(UTC)
        with pytest.raises(Exception):  # noqa: B017 - the driver's or the pool's error
            await check.run()
        assert owed.owes(job) and len(owed) == 1
    finally:
        server.start()
    # The pool reconnects with a backoff: the check fails until the write goes through. The
    # worker's checks run on an event loop of their own, in a thread: so does this one.
    for _ in range(60):
        try:
            result = await asyncio.to_thread(asyncio.run, check.run())
            break
        except Exception:
            continue
    else:
        pytest.fail("the owed outcome was never written")
    assert result.status is Status.HEALTHY and len(owed) == 0
    with psycopg.connect(server.conninfo) as conn:
        row = conn.execute(
            "SELECT state, error, error_class, finished_at FROM job_queue WHERE id = %s", (job,)
        ).fetchone()
    assert row is not None and row[:3] == ("failed", "OperationalError", "transient")
    assert row[3] <= ended  # when the run ended, not when it was written
