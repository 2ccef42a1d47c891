"""The health-check framework: running, timeouts, caching, status rules and metrics."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

import pytest
from prometheus_client import CollectorRegistry

from signalpost.health import (
    CheckResult,
    FunctionCheck,
    HealthCheck,
    HealthMonitor,
    Status,
)
from signalpost.runtime import Runtime
from tests.fake_clock import SteppedClock

MakeMonitor = Callable[..., HealthMonitor]


def status_value(registry: CollectorRegistry, name: str, kind: str, status: str) -> float | None:
    return registry.get_sample_value(
        "signalpost_health_check_status",
        {"health_check_name": name, "health_check_kind": kind,
         "health_status": status},
    )


async def test_function_checks_and_outcomes(make_monitor: MakeMonitor) -> None:
    monitor = make_monitor()

    @monitor.check("sync-true")
    def sync_true() -> bool:
        return True

    @monitor.check("async-degraded", critical=False)
    async def async_degraded() -> CheckResult:
        return CheckResult.degraded("queue long", depth=120)

    @monitor.check("returns-status", critical=False)
    def returns_status() -> Status:
        return Status.HEALTHY

    @monitor.check("false", critical=False)
    def false() -> bool:
        return False

    @monitor.check("wrong-type", critical=False)
    def wrong_type() -> object:
        return 42

    report = await monitor.run_once()
    assert report.component("sync-true").status is Status.HEALTHY
    degraded = report.component("async-degraded")
    assert (degraded.status, degraded.error, dict(degraded.details)) == (
        Status.DEGRADED, "queue long", {"depth": 120}
    )
    assert report.component("returns-status").status is Status.HEALTHY
    assert report.component("false").error == "check returned False"
    assert "expected a CheckResult" in (report.component("wrong-type").error or "")
    # Only non-critical checks fail: degraded overall, still ready.
    assert report.status is Status.DEGRADED
    assert report.ready


async def test_raising_check_is_unhealthy_with_classified_error(
    make_monitor: MakeMonitor, registry: CollectorRegistry
) -> None:
    monitor = make_monitor()
    calls = 0

    @monitor.check("flaky")
    def flaky() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionRefusedError("refused by 10.0.0.1:5432")

    report = await monitor.run_once()
    component = report.component("flaky")
    assert component.status is Status.UNHEALTHY
    assert component.error == "ConnectionRefusedError: refused by 10.0.0.1:5432"
    assert component.error_class == "transient"
    assert component.last_success_at is None
    assert component.consecutive_failures == 1
    assert not report.ready and report.status is Status.UNHEALTHY
    assert status_value(registry, "flaky", "critical", "unhealthy") == 1
    assert status_value(registry, "flaky", "critical", "healthy") == 0
    overall = {"health_status": "unhealthy"}
    assert registry.get_sample_value("signalpost_health_status", overall) == 1

    report = await monitor.run_once()
    component = report.component("flaky")
    assert component.status is Status.HEALTHY and component.error is None
    assert component.last_success_at == component.checked_at
    assert status_value(registry, "flaky", "critical", "healthy") == 1
    assert status_value(registry, "flaky", "critical", "unhealthy") == 0
    labels = {"health_check_name": "flaky", "health_check_kind": "critical"}
    assert registry.get_sample_value(
        "signalpost_health_check_duration_seconds_count", labels
    ) == 2
    assert registry.get_sample_value(
        "signalpost_health_check_last_success_timestamp_seconds", labels
    ) == component.last_success_at


async def test_not_checked_yet_means_not_ready(make_monitor: MakeMonitor) -> None:
    monitor = make_monitor()
    monitor.add(FunctionCheck("db", lambda: True))
    report = monitor.report()
    assert report.component("db").status is Status.UNHEALTHY
    assert report.component("db").error == "not checked yet"
    assert not report.ready


async def test_hung_async_check_times_out_without_stalling_others(
    make_monitor: MakeMonitor,
) -> None:
    clock = SteppedClock()
    monitor = make_monitor(clock=clock)
    fast_runs = 0

    @monitor.check("hung", timeout=0.3, interval=0.05)
    async def hung() -> None:
        await asyncio.sleep(3600)

    @monitor.check("fast", interval=0.02, timeout=1)
    async def fast() -> None:
        nonlocal fast_runs
        fast_runs += 1

    started = clock.monotonic()
    await monitor.start()
    await clock.step(0)
    while monitor.report().component("hung").checked_at is None:
        assert clock.monotonic() - started < 0.3, "timed out before the timeout"
        await clock.step(0.02)
    elapsed = clock.monotonic() - started
    hung_state = monitor.report().component("hung")
    assert hung_state.status is Status.UNHEALTHY
    assert hung_state.error == "timed out after 0.3 s"
    assert hung_state.error_class == "transient"
    assert elapsed == pytest.approx(0.3)
    assert hung_state.latency_seconds == pytest.approx(0.3)
    # The fast check kept its own rhythm while the other hung: at 0, 0.02, ..., 0.3.
    assert fast_runs == 16
    assert monitor.report().component("fast").status is Status.HEALTHY


async def test_hung_sync_check_times_out_and_is_not_piled_up(make_monitor: MakeMonitor) -> None:
    clock = SteppedClock()
    monitor = make_monitor(clock=clock)
    release = threading.Event()
    started_threads = 0

    @monitor.check("blocking", timeout=0.2, interval=0.05)
    def blocking() -> None:
        nonlocal started_threads
        started_threads += 1
        release.wait(10)

    @monitor.check("other", interval=0.02)
    def other() -> bool:
        return True

    try:
        first = asyncio.ensure_future(monitor.run_once())
        await clock.until_sleeping(0.2)  # the blocking check waits on its timeout
        clock.advance(0.2)
        report = await first
        assert report.component("blocking").error == "timed out after 0.2 s"
        assert report.component("other").status is Status.HEALTHY
        report = await monitor.run_once()
        assert "still in progress" in (report.component("blocking").error or "")
        assert started_threads == 1
    finally:
        release.set()
    # The first thread ends (in real time: it is a thread); then the check runs again.
    deadline = time.monotonic() + 10
    report = await monitor.run_once()
    while report.component("blocking").status is not Status.HEALTHY:
        assert "still in progress" in (report.component("blocking").error or "")
        assert time.monotonic() < deadline, "the released thread did not end"
        await asyncio.sleep(0.01)
        report = await monitor.run_once()
    assert started_threads == 2


async def test_background_runs_cache_results(make_monitor: MakeMonitor) -> None:
    clock = SteppedClock()
    monitor = make_monitor(clock=clock)
    runs = 0

    class Counter:
        name = "counter"
        critical = True
        timeout = 1.0
        interval = 0.05

        async def run(self) -> CheckResult:
            nonlocal runs
            runs += 1
            return CheckResult.healthy(runs=runs)

    check = Counter()
    assert isinstance(check, HealthCheck)
    monitor.add(check)
    await monitor.start(wait=True)
    assert monitor.report().ready  # the first round ran before start() returned
    await monitor.start()  # idempotent
    await clock.step(0)  # the check's task starts waiting for its next run
    assert runs == 1
    for _ in range(3):
        await clock.step(0.05)
    assert runs == 4  # one run per interval on the monitor's clock
    before = runs
    for _ in range(100):  # reading never runs the check
        monitor.report()
    assert runs == before
    await monitor.stop()
    stopped_at = runs
    await clock.step(0.15)
    assert runs == stopped_at
    assert not monitor.running


async def test_stale_results_are_unhealthy(make_monitor: MakeMonitor) -> None:
    clock = SteppedClock()
    monitor = make_monitor(clock=clock)
    monitor.add(FunctionCheck("db", lambda: True, interval=10, timeout=1))
    await monitor.start(wait=True)
    assert monitor.report().component("db").status is Status.HEALTHY
    # No await in between: the check's task, due again at 10 s, gets no turn to run.
    clock.advance(3 * 10 + 1 + 1)
    state = monitor.report().component("db")
    assert state.status is Status.UNHEALTHY
    assert (state.error or "").startswith("stale: last checked 32.0 s ago")


def test_invalid_registrations() -> None:
    monitor = HealthMonitor(runtime=Runtime(registry=CollectorRegistry()))
    monitor.add(FunctionCheck("a", lambda: True))
    with pytest.raises(ValueError, match="already registered"):
        monitor.add(FunctionCheck("a", lambda: True))
    with pytest.raises(ValueError, match="must be > 0"):
        monitor.add(FunctionCheck("b", lambda: True, timeout=0))
