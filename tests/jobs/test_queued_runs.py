"""Runs driven by a task queue (start / hand_off_retry / finish) and the oldest-run
timestamps that replace the scrape-time gauges in multiprocess mode."""

from __future__ import annotations

import math

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry

from signalpost.jobs import JobState, RetryPolicy, current_run_or_none
from tests.fake_clock import FakeClock
from tests.jobs.conftest import JobFactory

START = "signalpost_job_oldest_running_start_timestamp_seconds"
PROGRESS = "signalpost_job_oldest_progress_timestamp_seconds"
POLICY = RetryPolicy(max_attempts=3, base_delay=5.0, max_delay=5.0, jitter=0.0)


def test_a_retried_delivery_hands_off_and_the_next_continues_the_numbering(
    make_job: JobFactory, registry: CollectorRegistry, span_exporter: InMemorySpanExporter
) -> None:
    get = registry.get_sample_value
    job = make_job("sync", retry=POLICY)
    first = job.queued_run(job_id="t-1", parent={}, attempt=1).start()
    assert current_run_or_none() is first
    assert first.hand_off_retry(ConnectionError("down")) == 5.0
    assert first.state is JobState.RETRYING
    assert current_run_or_none() is None
    assert get("signalpost_job_runs_in_progress", {"job_type": "sync"}) == 0
    assert get("signalpost_job_retries_total", {"job_type": "sync", "error_class": "transient"}) == 1
    assert get("signalpost_job_runs_finished_total", {"job_type": "sync", "job_status": "failed"}) is None

    second = job.queued_run(job_id="t-1", attempt=2).start()
    assert second.attempt == 2
    second.finish(None)
    assert get("signalpost_job_runs_started_total", {"job_type": "sync"}) == 1  # one run
    assert get("signalpost_job_runs_finished_total", {"job_type": "sync", "job_status": "succeeded"}) == 1
    spans = [s for s in span_exporter.get_finished_spans() if s.name == "job sync"]
    assert [(s.attributes or {})["job.attempt"] for s in spans] == [1, 2]
    assert [(s.attributes or {})["job.status"] for s in spans] == ["retrying", "succeeded"]


@pytest.mark.parametrize(
    ("exc", "attempt"),
    [(ValueError("bad row"), 1), (ConnectionError("down"), 3), (KeyboardInterrupt(), 1)],
)
def test_no_hand_off_when_the_policy_does_not_retry(
    make_job: JobFactory, registry: CollectorRegistry, exc: BaseException, attempt: int
) -> None:
    run = make_job("nope", retry=POLICY).queued_run(job_id="x", attempt=attempt).start()
    assert run.hand_off_retry(exc) is None
    assert run.state is JobState.RUNNING
    run.finish(exc)
    assert run.state in (JobState.FAILED, JobState.CANCELLED)
    assert registry.get_sample_value("signalpost_job_retries_total", {"job_type": "nope", "error_class": "transient"}) is None


def test_oldest_start_and_progress_timestamps_follow_the_runs(
    make_job: JobFactory, registry: CollectorRegistry, clock: FakeClock
) -> None:
    get = registry.get_sample_value
    wall = clock.time()
    with make_job("scan") as first:
        clock.advance(100)
        with make_job("scan") as second:
            assert get(START, {"job_type": "scan"}) == wall
            assert get(PROGRESS, {"job_type": "scan"}) == wall
            clock.advance(10)
            first.progress(1)  # first is no longer the stalest: second (started at +100) is
            assert get(PROGRESS, {"job_type": "scan"}) == wall + 100
            clock.advance(0.5)
            second.progress(1)
            assert get(PROGRESS, {"job_type": "scan"}) == wall + 110  # first's report
            clock.advance(0.25)
            second.progress(2)  # a quarter second after its last update: not published
            assert get(PROGRESS, {"job_type": "scan"}) == wall + 110
            clock.advance(0.25)
            first.progress(2)  # a second after its last update: published
            assert get(PROGRESS, {"job_type": "scan"}) == wall + 110.75  # second's last report
        assert get(START, {"job_type": "scan"}) == wall  # second ended: first is left
        assert get(PROGRESS, {"job_type": "scan"}) == wall + 111
    assert get(START, {"job_type": "scan"}) == math.inf
    assert get(PROGRESS, {"job_type": "scan"}) == math.inf


def test_a_retry_the_queue_decided_is_recorded_without_the_policy(
    make_job: JobFactory, registry: CollectorRegistry
) -> None:
    run = make_job("own").queued_run(job_id="o-1").start()  # one attempt: the policy never retries
    assert run.hand_off_retry(ValueError("bad"), delay=3.0) == 3.0
    assert run.state is JobState.RETRYING
    assert registry.get_sample_value("signalpost_job_retries_total", {"job_type": "own", "error_class": "data"}) == 1
    assert [(a.number, a.retried) for a in run.history] == [(1, True)]
