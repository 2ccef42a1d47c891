"""arq jobs as monitored runs, with a real arq worker against a real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.jobs import JobStatus
from arq.worker import Worker
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry

import signalpost.arq
from signalpost.integrations.arq.jobs import RunPublisher
from signalpost.jobs import RetryPolicy, current_run
from signalpost.jobs.monitor import MonitoredJob
from signalpost.runtime import Runtime
from tests.queues.redis_server import redis_server
from tests.servers import free_port

pytestmark = pytest.mark.slow

tries: dict[str, int] = {}
started = asyncio.Event()


async def score(ctx: dict[str, Any], batch: str, size: int) -> int:
    current_run().progress(size, size)
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
    directory: Path = tmp_path_factory.mktemp("arq")
    with redis_server(directory) as url:
        yield url


@pytest.fixture
async def worker(
    redis_url: str, registry: CollectorRegistry, tracer_provider: TracerProvider
) -> AsyncIterator[ArqRedis]:
    settings = RedisSettings.from_dsn(redis_url)
    pool = await create_pool(settings)
    await pool.flushdb()
    functions = signalpost.arq.monitored_functions(
        [score, flaky, hang],
        policies={"flaky": RetryPolicy(max_attempts=3, base_delay=0.2, max_delay=0.2, jitter=0.0)},
        runtime=Runtime(registry=registry, tracer_provider=tracer_provider),
    )
    worker = Worker(
        functions=functions,
        redis_pool=pool,
        poll_delay=0.05,
        allow_abort_jobs=True,
        handle_signals=False,
    )
    task = asyncio.create_task(worker.async_run())
    try:
        yield pool
    finally:
        # Not worker.close(): it calls redis-py's deprecated close().
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await pool.aclose()


def run_spans(exporter: InMemorySpanExporter, job_id: str) -> list[Any]:
    return [
        s
        for s in exporter.get_finished_spans()
        if (s.attributes or {}).get("job.id") == job_id and s.name.startswith("job ")
    ]


async def test_a_job_is_a_run_continuing_the_request_trace(
    worker: ArqRedis,
    registry: CollectorRegistry,
    tracer_provider: TracerProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    with tracer_provider.get_tracer("request").start_as_current_span("GET /match") as request:
        job = await signalpost.arq.enqueue(worker, "score", "b-1", 7)
    assert job is not None
    assert await job.result(timeout=30) == 7
    (span,) = run_spans(span_exporter, job.job_id)
    assert span.context.trace_id == request.get_span_context().trace_id
    assert span.parent is not None and span.parent.span_id == request.get_span_context().span_id
    attrs = span.attributes or {}
    assert (attrs["job.status"], attrs["job.attempt"], attrs["job.parameters.batch"]) == ("succeeded", 1, "b-1")
    assert "signalpost_trace" not in str(dict(attrs))
    get = registry.get_sample_value
    assert get("signalpost_job_runs_finished_total", {"job_type": "score", "job_status": "succeeded"}) == 1
    assert get("signalpost_job_items_processed_total", {"job_type": "score"}) == 7


async def test_the_retry_is_carried_out_by_arq_with_its_numbering(
    worker: ArqRedis,
    registry: CollectorRegistry,
    tracer_provider: TracerProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    with tracer_provider.get_tracer("request").start_as_current_span("POST /import") as request:
        job = await signalpost.arq.enqueue(worker, "flaky", "k")
    assert job is not None
    assert await job.result(timeout=30) == 2  # arq's job_try of the delivery that succeeded
    one, two = run_spans(span_exporter, job.job_id)
    assert [(s.attributes or {})["job.attempt"] for s in (one, two)] == [1, 2]
    assert [(s.attributes or {})["job.status"] for s in (one, two)] == ["retrying", "succeeded"]
    assert one.context.trace_id == two.context.trace_id == request.get_span_context().trace_id
    get = registry.get_sample_value
    assert get("signalpost_job_retries_total", {"job_type": "flaky", "error_class": "transient"}) == 1
    assert get("signalpost_job_runs_started_total", {"job_type": "flaky"}) == 1
    assert get("signalpost_job_runs_finished_total", {"job_type": "flaky", "job_status": "succeeded"}) == 1


async def test_abort_ends_the_run_cancelled(
    worker: ArqRedis, registry: CollectorRegistry
) -> None:
    started.clear()
    job = await worker.enqueue_job("hang")
    assert job is not None
    await asyncio.wait_for(started.wait(), 30)
    assert registry.get_sample_value("signalpost_job_runs_in_progress", {"job_type": "hang"}) == 1
    assert await job.abort(timeout=30)
    assert await job.status() in (JobStatus.complete, JobStatus.not_found)
    get = registry.get_sample_value
    assert get("signalpost_job_runs_finished_total", {"job_type": "hang", "job_status": "cancelled"}) == 1
    assert get("signalpost_job_runs_in_progress", {"job_type": "hang"}) == 0


async def test_an_unreachable_redis_is_logged_once_and_the_job_runs_on(
    registry: CollectorRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    pool = ArqRedis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.2)
    publisher = RunPublisher(interval=0.05)
    run = MonitoredJob("offline", runtime=Runtime(registry=registry)).queued_run(job_id="j-1")
    async with run:
        publisher.begin(run, pool)
        for i in range(10):  # about 10 publication attempts, all failing
            run.progress(i, 10)
            await asyncio.sleep(0.05)
        publisher.end("j-1")
    await pool.aclose()
    failures = [r for r in caplog.records if "arq progress publisher" in r.getMessage()]
    assert len(failures) == 1
    get = registry.get_sample_value
    assert get("signalpost_job_runs_finished_total", {"job_type": "offline", "job_status": "succeeded"}) == 1


def test_parameters_are_bound_to_the_function_s_names() -> None:
    from signalpost.integrations.arq.wrapper import _binder

    async def plain(ctx: Any, batch: str, size: int = 1) -> None: ...
    async def varargs(ctx: Any, *items: int, **options: Any) -> None: ...

    bind = _binder(plain)
    assert bind(("b",), {}) == {"batch": "b"}
    assert bind(("b", 2), {}) == {"batch": "b", "size": 2}
    assert bind(("b",), {"size": 3}) == {"batch": "b", "size": 3}
    assert bind((), {"batch": "b"}) == {"batch": "b"}
    assert bind(("b", 2, 3), {}) == {"args": ["b", 2, 3]}  # does not fit: kept whole
    assert bind(("b",), {"batch": "c"}) == {"args": ["b"], "batch": "c"}
    assert bind(("b",), {"other": 1}) == {"args": ["b"], "other": 1}
    assert _binder(varargs)((1, 2), {"x": 3}) == {"items": (1, 2), "options": {"x": 3}}
