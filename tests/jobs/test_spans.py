"""The exact span tree of a run: the run span alone for one attempt, a child span per attempt
once a run is retried (attempt 1's made after the fact), user spans under their attempt."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from signalpost.errors.classify import TransientError
from signalpost.jobs import RetryPolicy, current_run
from tests.fake_clock import FakeClock
from tests.jobs.conftest import JobFactory

POLICY = RetryPolicy(max_attempts=3, base_delay=1.0, jitter=0)


def tree(spans: Sequence[ReadableSpan]) -> set[tuple[str, object, str | None]]:
    """``(name, job.attempt, parent name)`` of every span: the shape, independent of order."""
    by_id = {s.context.span_id: s for s in spans}
    return {
        (
            s.name,
            s.attributes.get("job.attempt") if s.attributes else None,
            by_id[s.parent.span_id].name if s.parent and s.parent.span_id in by_id else None,
        )
        for s in spans
    }


def split(spans: Sequence[ReadableSpan], job_type: str) -> tuple[ReadableSpan, list[ReadableSpan]]:
    """The run span and the attempt spans ordered by attempt number."""
    (run_span,) = [s for s in spans if s.name == f"job {job_type}"]
    attempts = sorted(
        (s for s in spans if s.name == f"job {job_type} attempt"),
        key=lambda s: int(s.attributes["job.attempt"]) if s.attributes else 0,  # type: ignore[arg-type]
    )
    return run_span, attempts


def attrs(span: ReadableSpan) -> dict[str, object]:
    return dict(span.attributes or {})


@pytest.mark.parametrize("retry", [None, POLICY], ids=["no_policy", "retry_policy"])
def test_success_on_the_first_attempt_is_the_run_span_alone(
    make_job: JobFactory, span_exporter: InMemorySpanExporter, retry: RetryPolicy | None
) -> None:
    @make_job("etl", retry=retry)
    def load() -> str:
        return "ok"

    assert load() == "ok"
    (run_span,) = span_exporter.get_finished_spans()
    assert tree([run_span]) == {("job etl", 1, None)}
    assert run_span.status.status_code is StatusCode.UNSET
    assert attrs(run_span)["job.status"] == "succeeded"
    assert run_span.events == ()


def test_fail_then_succeed_has_a_child_span_per_attempt(
    make_job: JobFactory, span_exporter: InMemorySpanExporter, clock: FakeClock
) -> None:
    @make_job("etl", job_id="j-1", retry=POLICY)
    def load() -> str:
        run = current_run()
        assert run is not None
        if run.attempt == 1:
            clock.advance(0.25)
            raise TransientError("lost connection")
        return "ok"

    assert load() == "ok"
    spans = span_exporter.get_finished_spans()
    assert len(spans) == 3
    assert tree(spans) == {
        ("job etl", 2, None),
        ("job etl attempt", 1, "job etl"),
        ("job etl attempt", 2, "job etl"),
    }
    run_span, (first, second) = split(spans, "etl")
    assert run_span.start_time is not None and run_span.end_time is not None

    # Attempt 1, made after the fact: from the run's start (attempt 1 began with the run) to
    # the failure, with the failure on it.
    assert first.start_time == run_span.start_time
    assert first.end_time is not None and second.start_time is not None
    assert first.start_time <= first.end_time <= second.start_time
    assert first.status.status_code is StatusCode.ERROR
    assert [e.name for e in first.events] == ["exception"]
    assert first.events[0].attributes is not None
    assert first.events[0].attributes["exception.message"] == "lost connection"
    assert attrs(first) == {
        "job.type": "etl",
        "job.id": "j-1",
        "job.attempt": 1,
        "error.type": "signalpost.errors.classify.TransientError",
        "error.class": "transient",
    }

    # Attempt 2: a real span, started after the back-off.
    assert second.status.status_code is StatusCode.UNSET
    assert second.events == ()
    assert attrs(second) == {
        "job.type": "etl",
        "job.id": "j-1",
        "job.attempt": 2,
        "job.retry.delay": clock.sleeps[0],
    }
    assert second.end_time is not None and second.end_time <= run_span.end_time

    # The run: succeeded, with the retry on its timeline and no exception of its own.
    assert run_span.status.status_code is StatusCode.UNSET
    assert attrs(run_span)["job.status"] == "succeeded"
    assert [e.name for e in run_span.events] == ["job.retry_scheduled"]


def test_all_attempts_failing(
    make_job: JobFactory, span_exporter: InMemorySpanExporter, clock: FakeClock
) -> None:
    @make_job("etl", retry=POLICY)
    def load() -> None:
        raise TimeoutError("upstream")

    with pytest.raises(TimeoutError):
        load()
    spans = span_exporter.get_finished_spans()
    assert len(spans) == 4
    assert tree(spans) == {
        ("job etl", 3, None),
        ("job etl attempt", 1, "job etl"),
        ("job etl attempt", 2, "job etl"),
        ("job etl attempt", 3, "job etl"),
    }
    run_span, attempts = split(spans, "etl")
    assert attempts[0].start_time == run_span.start_time
    for attempt in attempts:
        assert attempt.status.status_code is StatusCode.ERROR
        assert [e.name for e in attempt.events] == ["exception"]
        assert attrs(attempt)["error.class"] == "transient"
    assert [attrs(a).get("job.retry.delay") for a in attempts] == [None, *clock.sleeps]
    assert run_span.status.status_code is StatusCode.ERROR
    assert attrs(run_span)["job.status"] == "failed"
    assert attrs(run_span)["error.type"] == "TimeoutError"
    assert [e.name for e in run_span.events] == ["job.retry_scheduled"] * 2


def test_a_failure_that_is_not_retried_is_the_run_span_alone(
    make_job: JobFactory, span_exporter: InMemorySpanExporter
) -> None:
    @make_job("etl", retry=POLICY)
    def load() -> None:
        raise ValueError("bad row")  # data: never retried

    with pytest.raises(ValueError):
        load()
    (run_span,) = span_exporter.get_finished_spans()
    assert run_span.status.status_code is StatusCode.ERROR
    assert [e.name for e in run_span.events] == ["exception"]


def test_user_spans_nest_under_their_attempt(
    make_job: JobFactory, span_exporter: InMemorySpanExporter, tracer_provider: TracerProvider
) -> None:
    tracer = tracer_provider.get_tracer("app")

    @make_job("etl", retry=POLICY)
    def load() -> None:
        run = current_run()
        assert run is not None
        with tracer.start_as_current_span(f"SELECT {run.attempt}"):
            pass
        if run.attempt == 1:
            raise ConnectionResetError("peer reset")

    load()
    spans = span_exporter.get_finished_spans()
    assert tree(spans) == {
        ("job etl", 2, None),
        ("job etl attempt", 1, "job etl"),
        ("job etl attempt", 2, "job etl"),
        ("SELECT 1", None, "job etl"),  # attempt 1 runs under the run span
        ("SELECT 2", None, "job etl attempt"),
    }
    _, (_, second) = split(spans, "etl")
    (select_2,) = [s for s in spans if s.name == "SELECT 2"]
    assert select_2.parent is not None and select_2.parent.span_id == second.context.span_id


def test_user_spans_nest_under_their_attempt_in_async_code_and_the_with_form(
    make_job: JobFactory, span_exporter: InMemorySpanExporter, tracer_provider: TracerProvider
) -> None:
    tracer = tracer_provider.get_tracer("app")

    async def main() -> None:
        async with make_job("etl", retry=POLICY) as run:
            async for attempt in run.attempts():
                async with attempt:
                    with tracer.start_as_current_span(f"SELECT {attempt.number}"):
                        await asyncio.sleep(0)
                    if attempt.number < 3:
                        raise ConnectionResetError("peer reset")

    asyncio.run(main())
    spans = span_exporter.get_finished_spans()
    assert tree(spans) == {
        ("job etl", 3, None),
        ("job etl attempt", 1, "job etl"),
        ("job etl attempt", 2, "job etl"),
        ("job etl attempt", 3, "job etl"),
        ("SELECT 1", None, "job etl"),
        ("SELECT 2", None, "job etl attempt"),
        ("SELECT 3", None, "job etl attempt"),
    }
    _, attempts = split(spans, "etl")
    for number in (2, 3):
        (select,) = [s for s in spans if s.name == f"SELECT {number}"]
        assert select.parent is not None
        assert select.parent.span_id == attempts[number - 1].context.span_id


def test_a_run_cancelled_during_the_back_off_keeps_its_attempt_1_span(
    make_job: JobFactory,
    span_exporter: InMemorySpanExporter,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from signalpost.jobs import JobCancelled

    with pytest.raises(JobCancelled):
        with make_job("etl", retry=POLICY) as run:
            monkeypatch.setattr(clock, "sleep", lambda seconds: run.request_cancel("deploy"))
            for attempt in run.attempts():
                with attempt:
                    raise ConnectionResetError("peer reset")
    spans = span_exporter.get_finished_spans()
    assert tree(spans) == {("job etl", 1, None), ("job etl attempt", 1, "job etl")}
    run_span, (first,) = split(spans, "etl")
    assert first.status.status_code is StatusCode.ERROR
    assert attrs(run_span)["job.status"] == "cancelled"
