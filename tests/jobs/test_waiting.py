"""Time waiting before a run starts, and the backlog gauges a source reports at scrape time."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from datetime import UTC, datetime

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, generate_latest

from signalpost.jobs.backlog import Backlog, watch_backlog
from signalpost.jobs.backlog_redis import CeleryRedisBacklog
from signalpost.semconv import jobs as spec
from tests.fake_clock import FakeClock
from tests.jobs.conftest import JobFactory

WAIT = spec.WAIT_DURATION.name
WAITING = spec.WAITING.name
AGE = spec.OLDEST_WAITING_AGE.name


def _wait(registry: CollectorRegistry, job_type: str, queue: str = "") -> tuple[float, float]:
    labels = {"job_type": job_type, "job_queue": queue}
    count = registry.get_sample_value(f"{WAIT}_count", labels) or 0.0
    total = registry.get_sample_value(f"{WAIT}_sum", labels) or 0.0
    return count, total


def test_wait_is_recorded_at_start_from_the_enqueue_time(
    make_job: JobFactory, registry: CollectorRegistry, clock: FakeClock
) -> None:
    enqueued = clock.time() - 42.5
    with make_job("parse", enqueued_at=enqueued, queue="files"):
        assert _wait(registry, "parse", "files") == (1.0, 42.5)
    assert registry.get_sample_value(f"{WAIT}_bucket", {
        "job_type": "parse", "job_queue": "files", "le": "60.0"}) == 1.0
    assert registry.get_sample_value(f"{WAIT}_bucket", {
        "job_type": "parse", "job_queue": "files", "le": "30.0"}) == 0.0


def test_decorator_reads_the_enqueue_time_from_the_arguments(
    make_job: JobFactory, registry: CollectorRegistry, clock: FakeClock
) -> None:
    @make_job("digest", enqueued_at=lambda row: row["enqueued_at"])
    def digest(row: dict[str, float]) -> None:
        clock.advance(100)  # the run's own duration is not waiting

    digest({"enqueued_at": clock.time() - 3})
    assert _wait(registry, "digest") == (1.0, 3.0)


def test_no_enqueue_time_records_no_wait_and_a_clock_skew_records_zero(
    make_job: JobFactory, registry: CollectorRegistry, clock: FakeClock
) -> None:
    with make_job("x"):
        pass
    assert _wait(registry, "x") == (0.0, 0.0)
    job = make_job("y")
    # A producer whose clock runs ahead: never a negative wait.
    with job.queued_run(job_id="1", enqueued_at=clock.time() + 5, queue="q"):
        pass
    assert _wait(registry, "y", "q") == (1.0, 0.0)


def test_a_datetime_is_read_and_a_bad_enqueue_time_never_breaks_the_job(
    make_job: JobFactory, registry: CollectorRegistry, clock: FakeClock
) -> None:
    enqueued = datetime.fromtimestamp(clock.time() - 7, tz=UTC)  # a timestamptz column
    with make_job("db", enqueued_at=enqueued):
        pass
    assert _wait(registry, "db") == (1.0, 7.0)

    def broken(row: object) -> float:
        raise KeyError("enqueued_at")

    @make_job("odd", enqueued_at=broken)
    def odd(row: object) -> str:
        return "done"

    assert odd({}) == "done"
    for bad in (math.nan, math.inf, "yesterday"):
        with make_job("odd", enqueued_at=bad):
            pass
    assert _wait(registry, "odd") == (0.0, 0.0)


def test_a_continued_retry_waits_from_when_it_was_due(
    make_job: JobFactory, registry: CollectorRegistry, clock: FakeClock
) -> None:
    job = make_job("sync")
    with job.queued_run(job_id="7", attempt=2, enqueued_at=clock.time() - 1.5, queue="q"):
        pass
    assert _wait(registry, "sync", "q") == (1.0, 1.5)


def test_backlog_collector_reports_counts_and_ages_and_keeps_zeros(
    registry: CollectorRegistry, clock: FakeClock
) -> None:
    rows: list[Backlog] = [
        Backlog("parse", 3, clock.time() - 30, "files"),
        Backlog("parse", 2, clock.time() - 90, "files"),  # one type's rows add up
        Backlog("mail", 1, None),
    ]

    def source() -> Iterable[Backlog]:
        return list(rows)

    watch_backlog(source, registry=registry, clock=clock.time, job_types=[("digest", "")])
    assert registry.get_sample_value(WAITING, {"job_type": "parse", "job_queue": "files"}) == 5
    assert registry.get_sample_value(AGE, {"job_type": "parse", "job_queue": "files"}) == 90
    assert registry.get_sample_value(WAITING, {"job_type": "mail", "job_queue": ""}) == 1
    assert registry.get_sample_value(AGE, {"job_type": "mail", "job_queue": ""}) == 0
    assert registry.get_sample_value(WAITING, {"job_type": "digest", "job_queue": ""}) == 0
    rows.clear()
    clock.advance(10)
    assert registry.get_sample_value(WAITING, {"job_type": "parse", "job_queue": "files"}) == 0
    assert registry.get_sample_value(AGE, {"job_type": "parse", "job_queue": "files"}) == 0


def test_a_failing_source_drops_the_backlog_not_the_scrape(
    registry: CollectorRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> Iterable[Backlog]:
        raise ConnectionError("broker down")

    watch_backlog(broken, registry=registry)
    text = generate_latest(registry).decode()
    assert WAITING not in text
    assert "backlog source failed" in caplog.text


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)


@given(st.binary(max_size=64) | JSON.map(lambda v: json.dumps(v).encode()))
@example(b'{"headers": []}')
@example(b'[1]')
@example(b'{"headers": {"task": "t", "signalpost_enqueued_at": 1e999}}')
@example(b'{"headers": {"task": "t", "signalpost_enqueued_at": NaN}}')
@example(('{"headers": {"signalpost_enqueued_at": 1' + "0" * 400 + "}}").encode())
def test_a_broker_message_of_any_shape_is_counted_never_raised(raw: bytes) -> None:
    job_type, since = CeleryRedisBacklog._parse(raw)
    assert isinstance(job_type, str)
    assert since is None or math.isfinite(since)


KEYS = st.sampled_from(["job_type", "queue", "waiting", "oldest_age_seconds"])


@given(st.dictionaries(KEYS, JSON))
@example({"waiting": 1, "oldest_age_seconds": 10**400})
@example({"waiting": True})
@example({"waiting": 1, "oldest_age_seconds": float("nan")})
def test_a_backlog_entry_of_any_shape_reads_or_fails_with_value_error(
    raw: dict[str, object],
) -> None:
    try:
        row = Backlog.from_json(raw, 1000.0)
    except ValueError:
        return
    assert isinstance(row.waiting, int)
    assert row.oldest_enqueued_at is None or math.isfinite(row.oldest_enqueued_at)
    assert row.to_json(1000.0)["waiting"] == row.waiting
