"""Scrape-time gauges: oldest running run and time since progress, per job type."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from signalpost.instrumentation.jobs import RunningJobs
from signalpost.instrumentation.semconv import jobs as spec
from tests.fake_clock import FakeClock
from tests.instrumentation.jobs.conftest import JobFactory

AGE = "signalpost_job_oldest_running_age_seconds"
STALE = "signalpost_job_progress_age_seconds"


def test_gauges_follow_the_oldest_and_stalest_run(
    make_job: JobFactory, registry: CollectorRegistry, clock: FakeClock
) -> None:
    get = registry.get_sample_value
    with make_job("ai_matching") as first:
        clock.advance(100)
        with make_job("ai_matching") as second:
            clock.advance(50)
            second.progress(1, 10)
            clock.advance(20)
            # first: age 170, no progress for 170; second: age 70, progress 20 s ago
            assert get(AGE, {"job_type": "ai_matching"}) == 170
            assert get(STALE, {"job_type": "ai_matching"}) == 170
            first.progress(5, 10)
            clock.advance(5)
            assert get(AGE, {"job_type": "ai_matching"}) == 175
            assert get(STALE, {"job_type": "ai_matching"}) == 25  # second is now the stalest
        clock.advance(3600)
        assert get(STALE, {"job_type": "ai_matching"}) == 3605  # stuck: no progress for an hour
    assert get(AGE, {"job_type": "ai_matching"}) == 0
    assert get(STALE, {"job_type": "ai_matching"}) == 0


def test_gauges_are_per_job_type_and_appear_in_the_exposition(
    make_job: JobFactory, registry: CollectorRegistry, clock: FakeClock
) -> None:
    with make_job("a"):
        clock.advance(10)
        with make_job("b"):
            clock.advance(1)
            text = generate_latest(registry).decode()
    assert f'{AGE}{{job_type="a"}} 11.0' in text
    assert f'{AGE}{{job_type="b"}} 1.0' in text
    assert f"# TYPE {STALE} gauge" in text


def test_one_collector_per_registry_covers_several_job_registries(
    make_job: JobFactory, registry: CollectorRegistry, clock: FakeClock
) -> None:
    other = RunningJobs()
    with make_job("x"), make_job("y", running=other):
        clock.advance(7)
        assert registry.get_sample_value(AGE, {"job_type": "x"}) == 7
        assert registry.get_sample_value(AGE, {"job_type": "y"}) == 7
    names = [m.name for m in registry.collect() if m.name == spec.OLDEST_RUNNING_AGE.name]
    assert names == [spec.OLDEST_RUNNING_AGE.name]


def test_specs_define_every_exposed_job_metric(
    make_job: JobFactory, registry: CollectorRegistry
) -> None:
    with make_job("z") as run:
        run.progress(1)
    exposed = {m.name for m in registry.collect() if m.name.startswith("signalpost_job")}
    assert exposed == {s.name for s in spec.ALL_JOB_METRICS}
    for metric in spec.ALL_JOB_METRICS:
        assert "job_id" not in metric.labels
        assert metric.name.startswith("signalpost_job_")
