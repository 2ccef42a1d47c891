"""Hundreds of concurrent runs, in tasks and threads, give exact counts."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry

from signalpost.context import current_job_id
from signalpost.errors.classify import DataError, TransientError
from signalpost.jobs import RetryPolicy, RunningJobs, current_run
from tests.jobs.conftest import JobFactory

RUNS = 300


def counts(registry: CollectorRegistry, job_type: str) -> dict[str, float | None]:
    get = registry.get_sample_value
    return {
        status: get(
            "signalpost_job_runs_finished_total", {"job_type": job_type, "job_status": status}
        )
        for status in ("succeeded", "failed")
    } | {
        "started": get("signalpost_job_runs_started_total", {"job_type": job_type}),
        "in_progress": get("signalpost_job_runs_in_progress", {"job_type": job_type}),
        "items": get("signalpost_job_items_processed_total", {"job_type": job_type}),
        "retries": get(
            "signalpost_job_retries_total", {"job_type": job_type, "error_class": "transient"}
        ),
    }


async def test_concurrent_async_runs(
    make_job: JobFactory,
    registry: CollectorRegistry,
    span_exporter: InMemorySpanExporter,
    running: RunningJobs,
) -> None:
    all_started = asyncio.Event()
    in_flight = 0

    @make_job("fanout", job_id=lambda i: f"job-{i}",
              retry=RetryPolicy(max_attempts=2, base_delay=0))
    async def work(i: int) -> int:
        nonlocal in_flight
        run = current_run()
        assert run is not None and current_job_id() == f"job-{i}"
        if run.attempt == 1:
            in_flight += 1
            if in_flight == RUNS:
                all_started.set()
            await all_started.wait()  # every run in flight at once
        run.progress(i % 7 + 1, 10)
        await asyncio.sleep(0)
        assert current_job_id() == f"job-{i}"  # no cross-talk between tasks
        if i % 3 == 0 and run.attempt == 1:
            raise TransientError("retry me")
        if i % 10 == 1:
            raise DataError("bad")
        return i

    results = await asyncio.gather(*(work(i) for i in range(RUNS)), return_exceptions=True)
    failed = sum(isinstance(r, DataError) for r in results)
    assert failed == sum(1 for i in range(RUNS) if i % 10 == 1)
    assert counts(registry, "fanout") == {
        "succeeded": RUNS - failed,
        "failed": failed,
        "started": RUNS,
        "in_progress": 0,
        "items": sum(i % 7 + 1 for i in range(RUNS)),
        "retries": sum(1 for i in range(RUNS) if i % 3 == 0),
    }
    assert len(running) == 0
    run_spans = [s for s in span_exporter.get_finished_spans() if s.name == "job fanout"]
    assert len(run_spans) == RUNS
    assert len({s.context.trace_id for s in run_spans}) == RUNS  # one trace per run


def test_concurrent_threaded_runs(
    make_job: JobFactory, registry: CollectorRegistry, running: RunningJobs
) -> None:
    job = make_job("threads")  # one wrapper shared by every thread
    barrier = threading.Barrier(50)

    def work(i: int) -> int:
        with job as run:
            if i < 50:
                barrier.wait(5)
            assert current_job_id() == run.job_id
            for done in range(1, 4):
                run.progress(done, 3)
            if i % 4 == 0:
                raise ValueError(i)
            return i

    def call(i: int) -> int | None:
        try:
            return work(i)
        except ValueError:
            return None

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(call, range(RUNS)))
    failed = results.count(None)
    assert failed == RUNS // 4
    assert counts(registry, "threads") == {
        "succeeded": RUNS - failed,
        "failed": failed,
        "started": RUNS,
        "in_progress": 0,
        "items": 3 * RUNS,
        "retries": None,
    }
    assert len(running) == 0
