"""Stuck-job signals: the Unix times of the oldest running start and of the least recent
progress report, per job type, set by the runs (no scrape-time collector)."""

from __future__ import annotations

import contextvars
import math
import random

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from signalpost.jobs import JobRun, RunningJobs
from signalpost.semconv import jobs as spec
from tests.fake_clock import FakeClock
from tests.jobs.conftest import JobFactory

START = "signalpost_job_oldest_running_start_timestamp_seconds"
PROGRESS = "signalpost_job_oldest_progress_timestamp_seconds"


def test_timestamps_follow_the_oldest_and_stalest_run(
    make_job: JobFactory, registry: CollectorRegistry, clock: FakeClock
) -> None:
    get = registry.get_sample_value
    wall = clock.time()
    with make_job("ai_matching") as first:
        clock.advance(100)
        with make_job("ai_matching") as second:
            clock.advance(50)
            second.progress(1, 10)
            clock.advance(20)
            # first: started at 0, no progress; second: started at 100, progress at 150
            assert get(START, {"job_type": "ai_matching"}) == wall
            assert get(PROGRESS, {"job_type": "ai_matching"}) == wall
            first.progress(5, 10)
            assert get(START, {"job_type": "ai_matching"}) == wall
            assert get(PROGRESS, {"job_type": "ai_matching"}) == wall + 150  # second's report
        clock.advance(3600)
        # second ended: first's last report at 170 is the stalest; an hour without progress
        assert get(PROGRESS, {"job_type": "ai_matching"}) == wall + 170
    assert get(START, {"job_type": "ai_matching"}) == math.inf
    assert get(PROGRESS, {"job_type": "ai_matching"}) == math.inf


def test_timestamps_are_per_job_type_and_appear_in_the_exposition(
    make_job: JobFactory, registry: CollectorRegistry, clock: FakeClock
) -> None:
    wall = clock.time()
    with make_job("a"):
        clock.advance(10)
        with make_job("b"):
            clock.advance(1)
            text = generate_latest(registry).decode()
    samples = {
        (s.name, s.labels["job_type"]): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if family.name in (START, PROGRESS)
    }
    assert samples == {
        (START, "a"): wall,
        (START, "b"): wall + 10,
        (PROGRESS, "a"): wall,
        (PROGRESS, "b"): wall + 10,
    }
    assert f"# TYPE {PROGRESS} gauge" in text


def test_several_running_lists_share_one_registry(
    make_job: JobFactory, registry: CollectorRegistry, clock: FakeClock
) -> None:
    other = RunningJobs()
    wall = clock.time()
    with make_job("x"), make_job("x", running=other):
        clock.advance(7)
        assert registry.get_sample_value(START, {"job_type": "x"}) == wall
    assert registry.get_sample_value(START, {"job_type": "x"}) == math.inf


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
    assert spec.OLDEST_PROGRESS.multiprocess_mode == spec.OLDEST_RUNNING_START.multiprocess_mode == "livemin"


def test_timestamps_stay_exact_through_any_interleaving(
    make_job: JobFactory, registry: CollectorRegistry, clock: FakeClock
) -> None:
    """Starts, reports and ends in a shuffled order (the gauges skip their scan when a change
    cannot move them): after every step they equal the oldest over the runs alive. Each run
    lives in a context of its own, as concurrent runs do (in threads or tasks)."""
    rng = random.Random(14)
    get = registry.get_sample_value
    job = make_job("interleaved")
    # id -> (the run, its context, start, last progress)
    alive: dict[int, tuple[JobRun, contextvars.Context, float, float]] = {}
    next_id = 0
    for _ in range(400):
        clock.advance(rng.choice([1.0, 2.5, 10.0]))
        now = clock.time()
        action = rng.random()
        if action < 0.4 or not alive:
            run, context = job.new_run(), contextvars.copy_context()
            context.run(run.__enter__)
            alive[next_id] = (run, context, now, now)
            next_id += 1
        elif action < 0.7:
            key = rng.choice(list(alive))
            run, context, start, _ = alive[key]
            context.run(run.progress, 1, 10)
            alive[key] = (run, context, start, now)
        else:
            run, context, _, _ = alive.pop(rng.choice(list(alive)))
            context.run(run.__exit__, None, None, None)
        expected_start = min((s for _, _, s, _ in alive.values()), default=math.inf)
        expected_progress = min((p for _, _, _, p in alive.values()), default=math.inf)
        assert get(START, {"job_type": "interleaved"}) == expected_start
        assert get(PROGRESS, {"job_type": "interleaved"}) == expected_progress
    for run, context, _, _ in alive.values():
        context.run(run.__exit__, None, None, None)
    assert get(START, {"job_type": "interleaved"}) == math.inf
