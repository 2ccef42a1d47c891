"""Progress: items counter, throttled log records and span events, 0 % and 100 %."""

from __future__ import annotations

import logging

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry

from tests.fake_clock import FakeClock
from tests.jobs.conftest import JobFactory


def progress_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "job.event", None) == "progress"]


def test_progress_is_throttled_but_0_and_100_percent_always_show(
    make_job: JobFactory,
    registry: CollectorRegistry,
    span_exporter: InMemorySpanExporter,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="signalpost.jobs")
    with make_job("ai_matching", progress_interval=30) as run:
        run.progress(0, 1000, "scoring")
        for done in range(1, 1001):
            clock.advance(0.125)  # 125 s in total: 4 interval-driven reports, 0 % and 100 %
            run.progress(done, 1000)
    records = progress_records(caplog)
    done_values = [getattr(r, "job.progress.done") for r in records]
    assert done_values == [0, 240, 480, 720, 960, 1000]
    assert getattr(records[0], "job.progress.message") == "scoring"
    assert getattr(records[0], "job.progress.total") == 1000
    assert getattr(records[2], "job.progress.ratio") == pytest.approx(0.48)
    assert getattr(records[-1], "job.progress.ratio") == 1.0
    assert all(getattr(r, "job.id") == run.job_id for r in records)

    (run_span,) = span_exporter.get_finished_spans()  # one attempt: events on the run span
    events = [e for e in run_span.events if e.name == "job.progress"]
    assert [e.attributes["job.progress.done"] for e in events if e.attributes] == done_values

    assert registry.get_sample_value(
        "signalpost_job_items_processed_total", {"job_type": "ai_matching"}
    ) == 1000


def test_first_report_is_logged_even_when_it_starts_above_zero(
    make_job: JobFactory, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="signalpost.jobs")
    with make_job("ai_matching", progress_interval=30) as run:
        for done in range(1, 301):
            clock.advance(0.01)
            run.progress(done, 300)
    done_values = [getattr(r, "job.progress.done") for r in progress_records(caplog)]
    assert done_values == [1, 300]


def test_items_count_only_increases_of_done(
    make_job: JobFactory, registry: CollectorRegistry
) -> None:
    with make_job("etl") as run:
        run.progress(5)
        run.progress(5)
        run.progress(12)
        run.progress(2)  # restarted from scratch: no negative count
        run.progress(4)
    assert registry.get_sample_value(
        "signalpost_job_items_processed_total", {"job_type": "etl"}
    ) == 14


def test_zero_interval_reports_every_call(
    make_job: JobFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="signalpost.jobs")
    with make_job("etl", progress_interval=0) as run:
        for i in range(1, 6):
            run.progress(i, 10)
    assert len(progress_records(caplog)) == 5


def test_progress_without_total(
    make_job: JobFactory, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="signalpost.jobs")
    with make_job("stream", progress_interval=1) as run:
        clock.advance(2)
        run.progress(10, message="rows")
    (record,) = progress_records(caplog)
    assert not hasattr(record, "job.progress.total")
    assert not hasattr(record, "job.progress.ratio")
    assert getattr(record, "job.progress.message") == "rows"


def test_no_log_work_when_the_logger_is_off(
    make_job: JobFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="signalpost.jobs")
    with make_job("quiet") as run:
        run.progress(0, 1)
        run.progress(1, 1)
    assert [r for r in caplog.records if r.name == "signalpost.jobs"] == []


def test_progress_events_go_on_the_span_of_the_attempt(
    make_job: JobFactory, span_exporter: InMemorySpanExporter
) -> None:
    from signalpost.jobs import RetryPolicy, current_run

    @make_job("etl", retry=RetryPolicy(max_attempts=2, base_delay=0.1))
    def load() -> None:
        run = current_run()
        assert run is not None
        run.progress(0, 2)
        if run.attempt == 1:
            raise ConnectionError("lost")
        run.progress(2, 2)

    load()
    spans = {
        (s.name, s.attributes.get("job.attempt") if s.attributes else None): s
        for s in span_exporter.get_finished_spans()
    }
    # Attempt 1 runs under the run span, so its progress events are there; its own span is
    # made after the fact and carries only the failure. Attempt 2 has a real span.
    assert [e.name for e in spans[("job etl", 2)].events] == [
        "job.progress",
        "job.retry_scheduled",
    ]
    assert [e.name for e in spans[("job etl attempt", 1)].events] == ["exception"]
    # 0 % was reported once for the run (attempt 1); attempt 2 reports 100 %.
    (done,) = spans[("job etl attempt", 2)].events
    assert done.name == "job.progress" and done.attributes is not None
    assert done.attributes["job.progress.done"] == 2


@pytest.mark.parametrize("bad", [float("inf"), float("-inf"), float("nan")])
def test_non_finite_progress_is_ignored_and_logged_once(
    make_job: JobFactory,
    registry: CollectorRegistry,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    bad: float,
) -> None:
    caplog.set_level(logging.INFO, logger="signalpost.jobs")
    items = {"job_type": "import"}
    with make_job("import") as run:
        run.progress(10, 100)
        clock.advance(5)
        run.progress(bad)
        run.progress(20, bad)
        run.progress(bad, 100)
        assert (run.done, run.total) == (10, 100)
        assert run.last_progress_monotonic == clock.now  # still a sign of life
        run.progress(30, 100)
    value = registry.get_sample_value("signalpost_job_items_processed_total", items)
    assert value == 30
    ignored = [r for r in caplog.records if getattr(r, "job.event", None) == "progress_ignored"]
    assert len(ignored) == 1
    assert ignored[0].levelno == logging.WARNING
    assert "finite" in ignored[0].getMessage()
