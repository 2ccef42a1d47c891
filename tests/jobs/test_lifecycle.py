"""A run's metrics, spans and log records from start to each final status."""

from __future__ import annotations

import logging

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode, format_trace_id
from prometheus_client import CollectorRegistry

from signalpost.context import current_job_id
from signalpost.errors.classify import DataError
from signalpost.jobs import (
    JobState,
    RetryPolicy,
    RunningJobs,
    current_run,
    current_run_or_none,
)
from tests.fake_clock import FakeClock
from tests.jobs.conftest import JobFactory


def value(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


def job_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "signalpost.jobs"]


def test_successful_run_with_the_with_form(
    make_job: JobFactory,
    registry: CollectorRegistry,
    span_exporter: InMemorySpanExporter,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="signalpost.jobs")
    with make_job("ai_matching", job_id="job-1", params={"batch": 7}) as run:
        assert run.state.value == "running"
        assert current_job_id() == "job-1"
        assert current_run() is run
        assert run.trace_id is not None and len(run.trace_id) == 32
        clock.advance(2.5)
        assert value(registry, "signalpost_job_runs_in_progress", job_type="ai_matching") == 1
    assert run.state is JobState.SUCCEEDED
    assert current_job_id() is None and current_run_or_none() is None

    labels = {"job_type": "ai_matching"}
    assert value(registry, "signalpost_job_runs_started_total", **labels) == 1
    assert value(registry, "signalpost_job_runs_in_progress", **labels) == 0
    assert value(
        registry, "signalpost_job_runs_finished_total", job_status="succeeded", **labels
    ) == 1
    assert value(
        registry, "signalpost_job_run_duration_seconds_sum", job_status="succeeded", **labels
    ) == pytest.approx(2.5)
    assert value(registry, "signalpost_job_attempts_total", error_class="", **labels) == 1
    assert value(
        registry, "signalpost_job_last_success_timestamp_seconds", **labels
    ) == pytest.approx(clock.time())

    # No retry policy: one attempt only, so the run span stands for it.
    (run_span,) = span_exporter.get_finished_spans()
    assert run_span.name == "job ai_matching"
    assert run_span.attributes is not None
    assert run_span.attributes["job.id"] == "job-1"
    assert run_span.attributes["job.type"] == "ai_matching"
    assert run_span.attributes["job.status"] == "succeeded"
    assert run_span.attributes["job.attempt"] == 1
    assert run_span.attributes["job.parameters.batch"] == 7
    assert format_trace_id(run_span.context.trace_id) == run.trace_id

    events = [(r.getMessage(), getattr(r, "job.event")) for r in job_records(caplog)]
    assert events == [("job started", "started"), ("job succeeded", "succeeded")]
    done = job_records(caplog)[-1]
    assert getattr(done, "job.id") == "job-1"
    assert getattr(done, "job.type") == "ai_matching"
    assert getattr(done, "job.status") == "succeeded"
    assert getattr(done, "job.attempt") == 1


def test_failed_run_reports_the_shared_error_record(
    make_job: JobFactory,
    registry: CollectorRegistry,
    span_exporter: InMemorySpanExporter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="signalpost.jobs")
    with pytest.raises(DataError, match="bad row"):
        with make_job(
            "etl",
            job_id="j-9",
            params={"source": "s3", "password": "hunter2"},
            retry=RetryPolicy(max_attempts=3),
        ):
            raise DataError("bad row 17")

    labels = {"job_type": "etl"}
    assert value(registry, "signalpost_job_runs_finished_total", job_status="failed", **labels) == 1
    assert value(
        registry,
        "signalpost_job_failures_total",
        error_class="data",
        exception_type="signalpost.errors.classify.DataError",
        **labels,
    ) == 1
    assert value(registry, "signalpost_job_attempts_total", error_class="data", **labels) == 1
    assert value(
        registry,
        "signalpost_errors_total",
        error_source="job",
        error_class="data",
        exception_type="signalpost.errors.classify.DataError",
    ) == 1
    assert value(registry, "signalpost_job_last_success_timestamp_seconds", **labels) is None

    failed = job_records(caplog)[-1]
    assert failed.levelno == logging.ERROR
    assert failed.getMessage() == "job failed: etl"
    assert failed.exc_info is not None and failed.exc_info[0] is DataError
    record = failed.signalpost_error  # type: ignore[attr-defined]
    assert record.error_class == "data"
    assert record.job_id == "j-9"
    assert record.context["job.parameters"] == {"source": "s3", "password": "[Filtered]"}
    assert getattr(failed, "job.id") == "j-9"
    assert getattr(failed, "job.status") == "failed"
    assert getattr(failed, "job.event") == "failed"
    assert getattr(failed, "job.parameters.password") == "[Filtered]"
    assert getattr(failed, "error.fingerprint") == record.fingerprint

    # A data error is not retried: one attempt, so the run span alone, with the exception.
    (run_span,) = span_exporter.get_finished_spans()
    assert run_span.name == "job etl"
    assert record.trace_id == format_trace_id(run_span.context.trace_id)
    assert run_span.status.status_code is StatusCode.ERROR
    assert run_span.attributes is not None
    assert run_span.attributes["error.class"] == "data"
    assert run_span.attributes["job.parameters.password"] == "[Filtered]"
    assert [e.name for e in run_span.events] == ["exception"]


def test_decorator_returns_the_result_and_takes_ids_from_the_call(
    make_job: JobFactory, span_exporter: InMemorySpanExporter
) -> None:
    @make_job("parse_resume", job_id=lambda resume_id: f"resume-{resume_id}",
              params=lambda resume_id: {"resume_id": resume_id})
    def parse(resume_id: int) -> str:
        run = current_run()
        assert run is not None and run.job_id == f"resume-{resume_id}"
        return f"parsed {resume_id}"

    assert parse(5) == "parsed 5"
    assert parse.__name__ == "parse"
    run_span = next(s for s in span_exporter.get_finished_spans() if s.name == "job parse_resume")
    assert run_span.attributes is not None
    assert run_span.attributes["job.id"] == "resume-5"
    assert run_span.attributes["job.parameters.resume_id"] == 5


def test_generated_job_ids_are_unique(make_job: JobFactory) -> None:
    job = make_job()
    ids = set()
    for _ in range(50):
        with job as run:
            ids.add(run.job_id)
    assert len(ids) == 50 and all(len(i) == 32 for i in ids)


def test_one_wrapper_nests_and_each_with_gets_a_fresh_run(
    make_job: JobFactory, registry: CollectorRegistry, span_exporter: InMemorySpanExporter
) -> None:
    job = make_job("digest")
    with job as outer:
        with job as inner:
            assert inner is not outer
            assert current_job_id() == inner.job_id
        assert current_job_id() == outer.job_id
        assert current_run() is outer
    assert outer.state is inner.state is JobState.SUCCEEDED
    assert value(
        registry, "signalpost_job_runs_finished_total", job_type="digest", job_status="succeeded"
    ) == 2
    spans = {s.context.span_id: s for s in span_exporter.get_finished_spans()}
    inner_run = next(
        s for s in spans.values()
        if s.attributes is not None and s.attributes.get("job.id") == inner.job_id
        and s.name == "job digest"
    )
    assert inner_run.parent is not None
    assert spans[inner_run.parent.span_id].name == "job digest"  # nested under outer


def test_context_goes_on_span_logs_and_error_record(
    make_job: JobFactory,
    span_exporter: InMemorySpanExporter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="signalpost.jobs")
    with pytest.raises(RuntimeError):
        with make_job("etl") as run:
            run.add_context(tenant="acme", api_key="sk-live-secret")
            raise RuntimeError("boom")
    run_span = next(s for s in span_exporter.get_finished_spans() if s.name == "job etl")
    assert run_span.attributes is not None
    assert run_span.attributes["job.context.tenant"] == "acme"
    assert run_span.attributes["job.context.api_key"] == "[Filtered]"
    failed = job_records(caplog)[-1]
    assert getattr(failed, "job.context.tenant") == "acme"
    assert failed.signalpost_error.context["job.context.api_key"] == "[Filtered]"  # type: ignore[attr-defined]


def test_running_jobs_are_listed_while_they_run(
    make_job: JobFactory, running: RunningJobs, clock: FakeClock
) -> None:
    with make_job("etl", job_id="a") as run:
        clock.advance(5)
        run.progress(3, 10, "loading")
        clock.advance(2)
        (snapshot,) = running.snapshot()
        assert snapshot.job_id == "a" and snapshot.job_type == "etl"
        assert snapshot.state is JobState.RUNNING and snapshot.attempt == 1
        assert snapshot.age == 7 and snapshot.since_progress == 2
        assert (snapshot.done, snapshot.total, snapshot.message) == (3, 10, "loading")
        assert running.snapshot("other") == []
    assert running.snapshot() == [] and len(running) == 0


def test_job_type_label_is_bounded(registry: CollectorRegistry, make_job: JobFactory) -> None:
    from signalpost.jobs.metrics import JobMetrics

    JobMetrics.for_registry(registry).job_types.limit = 3
    for i in range(6):
        with make_job(f"type{i}"):
            pass
    assert value(registry, "signalpost_job_runs_started_total", job_type="_other") == 3
    assert value(registry, "signalpost_job_runs_started_total", job_type="type2") == 1


def test_invalid_arguments_are_rejected(make_job: JobFactory) -> None:
    with pytest.raises(ValueError):
        make_job("")
    with pytest.raises(ValueError):
        make_job("x", progress_interval=-1)


def test_current_run_outside_a_job_raises_a_clear_error() -> None:
    with pytest.raises(LookupError, match="outside a monitored job"):
        current_run()
    assert current_run_or_none() is None


def test_current_run_inside_a_job_is_the_run(make_job: JobFactory) -> None:
    @make_job("inside")
    def body() -> str:
        return current_run().job_type  # no Optional to check

    assert body() == "inside"
