"""arq: the wait before each run and the backlog read from the queue, with a real worker and
a real Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.worker import Worker
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry

import signalpost.arq
from signalpost.jobs import RetryPolicy, watch_backlog
from signalpost.runtime import Runtime
from signalpost.semconv import jobs as spec
from tests.queues.redis_server import redis_server

pytestmark = pytest.mark.slow

QUEUE = "arq:queue"
tries: dict[str, int] = {}
started = asyncio.Event()


async def score(ctx: dict[str, Any], size: int) -> int:
    return size


async def flaky(ctx: dict[str, Any], key: str) -> int:
    tries[key] = tries.get(key, 0) + 1
    if tries[key] == 1:
        raise ConnectionError("upstream refused the connection")
    return int(ctx["job_try"])


async def hang(ctx: dict[str, Any]) -> None:
    started.set()
    await asyncio.sleep(120)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory: Path = tmp_path_factory.mktemp("arq-backlog")
    with redis_server(directory) as url:
        yield url


@pytest.fixture
async def pool(redis_url: str) -> AsyncIterator[ArqRedis]:
    pool = await create_pool(RedisSettings.from_dsn(redis_url))
    await pool.flushdb()
    try:
        yield pool
    finally:
        await pool.aclose()


def start_worker(
    pool: ArqRedis, registry: CollectorRegistry, tracer_provider: TracerProvider
) -> asyncio.Task[Any]:
    functions = signalpost.arq.monitored_functions(
        [score, flaky, hang],
        policies={"flaky": RetryPolicy(max_attempts=2, base_delay=0.2, max_delay=0.2, jitter=0)},
        runtime=Runtime(registry=registry, tracer_provider=tracer_provider),
    )
    worker = Worker(
        functions=functions,
        redis_pool=pool,
        poll_delay=0.05,
        allow_abort_jobs=True,
        handle_signals=False,
    )
    return asyncio.create_task(worker.async_run())


async def stop(task: asyncio.Task[Any]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def wait_of(registry: CollectorRegistry, job_type: str) -> tuple[float, float]:
    labels = {"job_type": job_type, "job_queue": QUEUE}
    name = spec.WAIT_DURATION.name
    return (
        registry.get_sample_value(f"{name}_count", labels) or 0.0,
        registry.get_sample_value(f"{name}_sum", labels) or 0.0,
    )


async def test_backlog_while_no_worker_consumes_then_the_waits_once_one_does(
    pool: ArqRedis, redis_url: str, registry: CollectorRegistry, tracer_provider: TracerProvider
) -> None:
    before = time.time()
    jobs = [await signalpost.arq.enqueue(pool, "score", n) for n in range(3)]
    enqueued = time.time()
    await signalpost.arq.enqueue(pool, "score", 9, _defer_by=3600)  # not due: not waiting
    backlog = CollectorRegistry()
    later = enqueued + 100.0
    reader = signalpost.arq.backlog(redis_url)
    watch_backlog(reader, registry=backlog, clock=lambda: later)
    labels = {"job_type": "score", "job_queue": QUEUE}
    assert backlog.get_sample_value(spec.WAITING.name, labels) == 3
    age = backlog.get_sample_value(spec.OLDEST_WAITING_AGE.name, labels)
    assert age is not None and 100.0 - 0.002 <= age <= later - before + 0.002  # ms scores

    worker_started = time.time()
    task = start_worker(pool, registry, tracer_provider)
    try:
        assert [await job.result(timeout=30) for job in jobs if job] == [0, 1, 2]
    finally:
        await stop(task)
    count, total = wait_of(registry, "score")
    assert count == 3
    assert total >= 3 * (worker_started - enqueued) - 0.003
    # Nothing due waits any more; the deferred job is not counted.
    now = CollectorRegistry()
    watch_backlog(reader, registry=now)
    assert now.get_sample_value(spec.WAITING.name, labels) is None
    reader.close()


async def test_a_retry_waits_from_when_it_was_due_and_a_running_job_does_not_wait(
    pool: ArqRedis, redis_url: str, registry: CollectorRegistry, tracer_provider: TracerProvider
) -> None:
    task = start_worker(pool, registry, tracer_provider)
    try:
        job = await signalpost.arq.enqueue(pool, "flaky", "k1")
        assert job is not None and await job.result(timeout=30) == 2
        count, total = wait_of(registry, "flaky")
        # Two deliveries; the 0.2 s back-off is not waiting (the retry waits from its due time,
        # polled every 0.05 s).
        assert count == 2
        assert total < 0.2 * 2
        started.clear()
        hung = await signalpost.arq.enqueue(pool, "hang")
        await asyncio.wait_for(started.wait(), 30)
        reader = signalpost.arq.backlog(redis_url)
        # The hung job is in the sorted set but in progress: nothing waits.
        assert list(reader()) == []
        reader.close()
        assert hung is not None and await hung.abort(timeout=30)
    finally:
        await stop(task)


async def test_a_job_is_waiting_from_the_millisecond_arq_s_worker_would_take_it(
    pool: ArqRedis, redis_url: str
) -> None:
    """arq rounds its scores to the millisecond and its worker takes what scores at most its
    rounded clock: read within half a millisecond of the enqueue, the job already waits."""
    from signalpost.jobs.backlog_redis import ArqBacklog

    job = await signalpost.arq.enqueue(pool, "score", 1)
    assert job is not None
    [(_, score)] = await pool.zrange(QUEUE, 0, -1, withscores=True)
    reader = ArqBacklog(redis_url, QUEUE, clock=lambda: (score - 0.4) / 1000)
    try:
        assert [(row.job_type, row.waiting) for row in reader()] == [("score", 1)]
    finally:
        reader.close()
