"""Overall and per-attempt timeouts; asyncio cancellation; cancel by ID through the registry."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest
from prometheus_client import CollectorRegistry

from signalpost.errors.classify import TransientError
from signalpost.jobs import (
    JobCancelled,
    JobState,
    JobTimeout,
    RetryPolicy,
    RunningJobs,
    current_run,
)
from tests.fake_clock import FakeClock
from tests.jobs.conftest import JobFactory


def finished(registry: CollectorRegistry, job_type: str, status: str) -> float | None:
    return registry.get_sample_value(
        "signalpost_job_runs_finished_total", {"job_type": job_type, "job_status": status}
    )


# --------------------------------------------------------------------------- sync (cooperative)


def test_sync_overall_timeout_is_raised_at_progress(
    make_job: JobFactory, registry: CollectorRegistry, clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="signalpost.jobs")
    with pytest.raises(JobTimeout) as info:
        with make_job("slow", retry=RetryPolicy(max_attempts=3, timeout=60)) as run:
            for i in range(100):
                clock.advance(1)
                run.progress(i, 100)
    assert info.value.scope == "run" and info.value.timeout == 60
    assert run.state is JobState.TIMED_OUT
    assert finished(registry, "slow", "timed_out") == 1
    timed_out = [r for r in caplog.records if getattr(r, "job.event", None) == "timed_out"]
    assert len(timed_out) == 1 and timed_out[0].getMessage() == "job timed out: slow"
    assert timed_out[0].levelno == logging.ERROR


def test_sync_attempt_timeout_is_retried_then_times_out(
    make_job: JobFactory, registry: CollectorRegistry, clock: FakeClock
) -> None:
    calls = []

    @make_job("chunked", retry=RetryPolicy(max_attempts=2, attempt_timeout=5, base_delay=1))
    def work() -> None:
        calls.append(1)
        run = current_run()
        assert run is not None
        while True:
            clock.advance(1)
            run.check()

    with pytest.raises(JobTimeout) as info:
        work()
    assert info.value.scope == "attempt"
    assert len(calls) == 2
    assert finished(registry, "chunked", "timed_out") == 1
    assert registry.get_sample_value(
        "signalpost_job_retries_total", {"job_type": "chunked", "error_class": "transient"}
    ) == 1


def test_sync_run_that_finishes_late_without_checkpoints_succeeds(
    make_job: JobFactory, registry: CollectorRegistry, clock: FakeClock
) -> None:
    with make_job("nocheck", retry=RetryPolicy(timeout=1)):
        clock.advance(10)  # cooperative: nothing interrupts code that never checks
    assert finished(registry, "nocheck", "succeeded") == 1


def test_sync_cancel_by_id_through_the_registry(
    make_job: JobFactory, running: RunningJobs, registry: CollectorRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="signalpost.jobs")
    started, stop_seen = threading.Event(), []

    def worker() -> None:
        with make_job("reindex", job_id="r-1") as run:
            started.set()
            try:
                while True:
                    run.progress(1, 2)
            except JobCancelled:
                stop_seen.append(run.cancel_requested)
                raise

    def target() -> None:
        with pytest.raises(JobCancelled):
            worker()

    thread = threading.Thread(target=target)
    thread.start()
    assert started.wait(5)
    assert [j.job_id for j in running.snapshot()] == ["r-1"]
    assert running.cancel("r-1", reason="operator") == 1
    thread.join(5)
    assert not thread.is_alive() and stop_seen == [True]
    assert running.cancel("r-1") == 0
    assert finished(registry, "reindex", "cancelled") == 1
    assert finished(registry, "reindex", "failed") is None
    cancelled = [r for r in caplog.records if getattr(r, "job.event", None) == "cancelled"]
    assert getattr(cancelled[0], "job.cancel.reason") == "operator"
    errors = [m for m in registry.collect() if m.name == "signalpost_errors"]
    assert all(not [s for s in m.samples if s.name.endswith("_total")] for m in errors)


def test_cancel_during_backoff_stops_before_the_next_attempt(
    make_job: JobFactory, running: RunningJobs, registry: CollectorRegistry, clock: FakeClock
) -> None:
    calls = []

    @make_job("bk", job_id="bk-1", retry=RetryPolicy(max_attempts=3))
    def work() -> None:
        calls.append(1)
        running.cancel("bk-1")
        raise TransientError("x")

    with pytest.raises(TransientError):
        work()  # the cancel request means: do not retry
    assert calls == [1]
    assert finished(registry, "bk", "failed") == 1


# --------------------------------------------------------------------------- async


async def test_async_overall_timeout(make_job: JobFactory, registry: CollectorRegistry) -> None:
    @make_job("ascan", retry=RetryPolicy(max_attempts=3, timeout=0.05))
    async def work() -> None:
        await asyncio.sleep(10)

    with pytest.raises(JobTimeout) as info:
        await work()
    assert info.value.scope == "run"
    assert finished(registry, "ascan", "timed_out") == 1
    assert registry.get_sample_value(
        "signalpost_job_attempts_total", {"job_type": "ascan", "error_class": "transient"}
    ) == 1
    assert registry.get_sample_value(
        "signalpost_job_retries_total", {"job_type": "ascan", "error_class": "transient"}
    ) is None


async def test_async_attempt_timeout_retries_then_succeeds(
    make_job: JobFactory, registry: CollectorRegistry, clock: FakeClock
) -> None:
    calls = []

    @make_job("afetch", retry=RetryPolicy(max_attempts=3, attempt_timeout=0.03))
    async def work() -> str:
        calls.append(1)
        if len(calls) == 1:
            await asyncio.sleep(10)
        return "ok"

    assert await work() == "ok"
    assert len(calls) == 2 and len(clock.sleeps) == 1
    assert finished(registry, "afetch", "succeeded") == 1
    assert registry.get_sample_value(
        "signalpost_job_retries_total", {"job_type": "afetch", "error_class": "transient"}
    ) == 1


async def test_async_with_form_attempt_timeout(
    make_job: JobFactory, registry: CollectorRegistry
) -> None:
    with pytest.raises(JobTimeout):
        async with make_job("awith", retry=RetryPolicy(attempt_timeout=0.02)):
            await asyncio.sleep(10)
    assert finished(registry, "awith", "timed_out") == 1


async def test_user_timeout_error_is_a_failure_not_a_timeout(
    make_job: JobFactory, registry: CollectorRegistry
) -> None:
    with pytest.raises(TimeoutError):
        async with make_job("upstream"):
            raise TimeoutError("the API timed out")
    assert finished(registry, "upstream", "failed") == 1


async def test_asyncio_cancellation_is_recorded_as_cancelled_and_re_raised(
    make_job: JobFactory, registry: CollectorRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="signalpost.jobs")
    started = asyncio.Event()

    @make_job("acancel", retry=RetryPolicy(max_attempts=5))
    async def work() -> None:
        started.set()
        await asyncio.sleep(10)

    task = asyncio.create_task(work())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert finished(registry, "acancel", "cancelled") == 1
    assert finished(registry, "acancel", "failed") is None
    assert registry.get_sample_value(
        "signalpost_job_retries_total", {"job_type": "acancel", "error_class": "transient"}
    ) is None
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_async_cancel_by_id_cancels_the_task(
    make_job: JobFactory, running: RunningJobs, registry: CollectorRegistry
) -> None:
    started = asyncio.Event()

    @make_job("ajob", job_id=lambda n: f"ajob-{n}")
    async def work(n: int) -> int:
        started.set()
        await asyncio.sleep(10)
        return n

    victim = asyncio.create_task(work(1))
    await started.wait()
    started.clear()
    survivor = asyncio.create_task(work(2))
    await started.wait()
    assert sorted(j.job_id for j in running.snapshot()) == ["ajob-1", "ajob-2"]
    assert running.cancel("ajob-1") == 1
    with pytest.raises(asyncio.CancelledError):
        await victim
    assert [j.job_id for j in running.snapshot()] == ["ajob-2"]
    survivor.cancel()
    with pytest.raises(asyncio.CancelledError):
        await survivor
    assert finished(registry, "ajob", "cancelled") == 2


async def test_cancel_from_another_thread(make_job: JobFactory, running: RunningJobs) -> None:
    started = asyncio.Event()

    async def work() -> None:
        async with make_job("xthread", job_id="x-1"):
            started.set()
            await asyncio.sleep(10)

    task = asyncio.create_task(work())
    await started.wait()
    await asyncio.to_thread(running.cancel, "x-1")
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_late_cancel_does_not_hit_the_task_after_the_run(
    make_job: JobFactory, running: RunningJobs
) -> None:
    async def worker_loop() -> str:
        async with make_job("seq", job_id="s-1") as run:
            run.request_cancel()  # scheduled on the loop; the run ends before it fires
        await asyncio.sleep(0.01)
        return "worker still alive"

    assert await worker_loop() == "worker still alive"


async def test_job_cancelled_from_progress_in_async_code(
    make_job: JobFactory, registry: CollectorRegistry
) -> None:
    with pytest.raises(JobCancelled):
        async with make_job("acpu") as run:
            run.request_cancel("stop")
            run.progress(1)
    assert finished(registry, "acpu", "cancelled") == 1
