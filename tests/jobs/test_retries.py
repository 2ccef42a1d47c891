"""Retries: timing bounded by the formula, error classes, attempts in both forms."""

from __future__ import annotations

import logging
import random

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode
from prometheus_client import CollectorRegistry

from signalpost.errors.classify import (
    ConfigurationError,
    DataError,
    ErrorClass,
    ErrorClassifier,
    TransientError,
)
from signalpost.jobs import JobState, RetryPolicy, current_run
from tests.fake_clock import FakeClock
from tests.jobs.conftest import JobFactory


def test_transient_failures_are_retried_with_bounded_backoff(
    make_job: JobFactory,
    registry: CollectorRegistry,
    span_exporter: InMemorySpanExporter,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="signalpost.jobs")
    policy = RetryPolicy(
        max_attempts=5, base_delay=1.0, max_delay=3.0, random=random.Random(3).random
    )
    calls: list[int] = []

    @make_job("sync_crm", retry=policy)
    def sync() -> str:
        run = current_run()
        assert run is not None
        calls.append(run.attempt)
        if len(calls) < 4:
            raise ConnectionResetError("peer reset")
        return "ok"

    start = clock.now
    assert sync() == "ok"
    assert calls == [1, 2, 3, 4]
    assert len(clock.sleeps) == 3
    for retry, slept in enumerate(clock.sleeps, start=1):
        low, high = policy.bounds(retry)
        assert low <= slept <= high
    assert clock.now - start == pytest.approx(sum(clock.sleeps))

    labels = {"job_type": "sync_crm"}
    get = registry.get_sample_value
    assert get("signalpost_job_retries_total", {**labels, "error_class": "transient"}) == 3
    assert get("signalpost_job_attempts_total", {**labels, "error_class": "transient"}) == 3
    assert get("signalpost_job_attempts_total", {**labels, "error_class": ""}) == 1
    assert get("signalpost_job_runs_finished_total", {**labels, "job_status": "succeeded"}) == 1
    assert get(
        "signalpost_job_run_duration_seconds_sum", {**labels, "job_status": "succeeded"}
    ) == pytest.approx(sum(clock.sleeps))

    spans = span_exporter.get_finished_spans()
    run_span = next(s for s in spans if s.name == "job sync_crm")
    attempts = sorted(
        (s for s in spans if s.name == "job sync_crm attempt"),
        key=lambda s: int(s.attributes["job.attempt"]) if s.attributes else 0,  # type: ignore[arg-type]
    )
    assert [s.attributes["job.attempt"] for s in attempts if s.attributes] == [1, 2, 3, 4]
    assert all(s.parent and s.parent.span_id == run_span.context.span_id for s in attempts)
    assert [s.status.status_code for s in attempts] == [StatusCode.ERROR] * 3 + [StatusCode.UNSET]
    assert attempts[1].attributes is not None
    assert attempts[1].attributes["job.retry.delay"] == clock.sleeps[0]
    retry_events = [e for e in run_span.events if e.name == "job.retry_scheduled"]
    assert [e.attributes["job.retry.delay"] for e in retry_events if e.attributes] == clock.sleeps
    assert retry_events[0].attributes is not None
    assert retry_events[0].attributes["error.class"] == "transient"
    assert retry_events[0].attributes["exception.type"] == "ConnectionResetError"

    scheduled = [r for r in caplog.records if getattr(r, "job.event", None) == "retry_scheduled"]
    assert len(scheduled) == 3
    assert [getattr(r, "job.attempt") for r in scheduled] == [1, 2, 3]
    assert [getattr(r, "job.retry.delay") for r in scheduled] == clock.sleeps
    assert all(r.levelno == logging.WARNING for r in scheduled)


def test_attempts_exhausted_fails_with_the_last_error(
    make_job: JobFactory, registry: CollectorRegistry, clock: FakeClock
) -> None:
    @make_job("flaky", retry=RetryPolicy(max_attempts=3, base_delay=0.1, jitter=0))
    def always() -> None:
        raise TimeoutError("upstream")

    with pytest.raises(TimeoutError, match="upstream"):
        always()
    assert clock.sleeps == [0.1, 0.2]
    get = registry.get_sample_value
    assert get(
        "signalpost_job_runs_finished_total", {"job_type": "flaky", "job_status": "failed"}
    ) == 1
    assert get(
        "signalpost_job_failures_total",
        {"job_type": "flaky", "error_class": "transient", "exception_type": "TimeoutError"},
    ) == 1


@pytest.mark.parametrize(
    ("exc", "error_class"),
    [
        (ConfigurationError("no credentials"), "configuration"),
        (DataError("bad input"), "data"),
        (KeyError("missing"), "data"),
        (RuntimeError("bug"), "system"),
    ],
)
def test_permanent_errors_fail_at_once(
    make_job: JobFactory,
    registry: CollectorRegistry,
    clock: FakeClock,
    exc: Exception,
    error_class: str,
) -> None:
    calls = []

    @make_job("import", retry=RetryPolicy(max_attempts=5))
    def work() -> None:
        calls.append(1)
        raise exc

    with pytest.raises(type(exc)):
        work()
    assert calls == [1] and clock.sleeps == []
    get = registry.get_sample_value
    assert get("signalpost_job_retries_total", {"job_type": "import", "error_class": error_class}) is None
    assert get("signalpost_job_attempts_total", {"job_type": "import", "error_class": error_class}) == 1


def test_with_form_records_a_single_attempt_without_attempts(
    make_job: JobFactory, registry: CollectorRegistry, clock: FakeClock
) -> None:
    with pytest.raises(ConnectionError):
        with make_job("one", retry=RetryPolicy(max_attempts=3)):
            raise ConnectionError("down")
    assert clock.sleeps == []
    assert registry.get_sample_value(
        "signalpost_job_runs_finished_total", {"job_type": "one", "job_status": "failed"}
    ) == 1


def test_with_form_retries_through_attempts(
    make_job: JobFactory, registry: CollectorRegistry, clock: FakeClock
) -> None:
    seen = []
    with make_job("loop", retry=RetryPolicy(max_attempts=4, base_delay=2, jitter=0)) as run:
        for attempt in run.attempts():
            with attempt:
                seen.append((attempt.number, run.attempt, run.state))
                if attempt.number < 3:
                    raise TransientError("again")
                result = "done"
    assert result == "done"
    assert seen == [(1, 1, JobState.RUNNING), (2, 2, JobState.RUNNING), (3, 3, JobState.RUNNING)]
    assert clock.sleeps == [2, 4]
    assert run.state is JobState.SUCCEEDED
    assert registry.get_sample_value(
        "signalpost_job_retries_total", {"job_type": "loop", "error_class": "transient"}
    ) == 2


def test_attempts_without_with_attempt_count_as_success(make_job: JobFactory) -> None:
    with make_job("plain", retry=RetryPolicy(max_attempts=3)) as run:
        numbers = [attempt.number for attempt in run.attempts()]
    assert numbers == [1]
    assert run.state is JobState.SUCCEEDED


def test_breaking_out_after_a_swallowed_failure_fails_the_run(
    make_job: JobFactory, registry: CollectorRegistry
) -> None:
    with make_job("brk", retry=RetryPolicy(max_attempts=3)) as run:
        for attempt in run.attempts():
            with attempt:
                raise TransientError("x")
            break
    assert run.state is JobState.FAILED
    assert registry.get_sample_value(
        "signalpost_job_runs_finished_total", {"job_type": "brk", "job_status": "failed"}
    ) == 1


def test_custom_retry_classes(make_job: JobFactory, clock: FakeClock) -> None:
    calls = []

    @make_job("custom", retry=RetryPolicy(max_attempts=2, retry_on=frozenset({ErrorClass.DATA})))
    def work() -> None:
        calls.append(1)
        raise DataError("retry me")

    with pytest.raises(DataError):
        work()
    assert len(calls) == 2 and len(clock.sleeps) == 1


async def test_async_decorator_retries_on_the_injected_clock(
    make_job: JobFactory, registry: CollectorRegistry, clock: FakeClock
) -> None:
    calls = []
    policy = RetryPolicy(max_attempts=3, base_delay=30, max_delay=60, jitter=0)

    @make_job("async_retry", retry=policy)
    async def work(x: int) -> int:
        calls.append(x)
        if len(calls) < 3:
            raise TransientError("later")
        return x + 1

    assert await work(1) == 2
    assert clock.sleeps == [30, 60]  # no real sleeping: the test clock waited
    assert registry.get_sample_value(
        "signalpost_job_retries_total", {"job_type": "async_retry", "error_class": "transient"}
    ) == 2


async def test_async_with_form_retries_through_async_attempts(
    make_job: JobFactory, clock: FakeClock
) -> None:
    async with make_job("aloop", retry=RetryPolicy(max_attempts=3, base_delay=1, jitter=0)) as run:
        async for attempt in run.attempts():
            async with attempt:
                if attempt.number == 1:
                    raise ConnectionError("x")
    assert run.state is JobState.SUCCEEDED and run.attempt == 2
    assert clock.sleeps == [1]


def test_retry_that_would_pass_the_overall_timeout_is_skipped(
    make_job: JobFactory, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="signalpost.jobs")
    policy = RetryPolicy(max_attempts=5, base_delay=10, jitter=0, timeout=15)
    calls = []

    @make_job("budget", retry=policy)
    def work() -> None:
        calls.append(1)
        raise TransientError("x")

    with pytest.raises(TransientError):
        work()
    assert calls == [1, 1] and clock.sleeps == [10]  # 10 + 20 would pass 15
    assert any(getattr(r, "job.event", None) == "retry_skipped" for r in caplog.records)


def test_the_jobs_classifier_decides_what_retries(
    make_job: JobFactory, registry: CollectorRegistry
) -> None:
    classifier = ErrorClassifier()
    classifier.register(LookupError, ErrorClass.TRANSIENT)  # a data error by default
    calls: list[int] = []

    @make_job("lookup", retry=RetryPolicy(max_attempts=2, base_delay=0.1), classifier=classifier)
    def look() -> str:
        calls.append(current_run().attempt)
        if len(calls) == 1:
            raise KeyError("not yet")
        return "found"

    assert look() == "found"
    assert calls == [1, 2]
    labels = {"job_type": "lookup", "error_class": "transient"}
    assert registry.get_sample_value("signalpost_job_retries_total", labels) == 1
