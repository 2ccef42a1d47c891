"""Status changes are logged once each; the monitor also runs in a thread of its own."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable

import pytest

from signalpost.health import CheckResult, HealthMonitor, Status

MakeMonitor = Callable[..., HealthMonitor]


def health_logs(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str, str]]:
    return [
        (r.levelname, r.getMessage(), getattr(r, "health.status", ""))
        for r in caplog.records
        if r.name == "signalpost.health"
    ]


async def test_failure_from_the_start_and_each_change_logged_once(
    make_monitor: MakeMonitor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="signalpost.health")
    monitor = make_monitor()
    outcomes = iter(
        [
            CheckResult.unhealthy("connection refused"),
            CheckResult.unhealthy("connection refused"),
            CheckResult.healthy(),
            CheckResult.healthy(),
            CheckResult(Status.DEGRADED, {}, "slow: 1.2 s"),
            CheckResult.unhealthy("timed out"),
            CheckResult.unhealthy("timed out"),
            CheckResult.healthy(),
        ]
    )

    @monitor.check("db")
    def db() -> CheckResult:
        return next(outcomes)

    for _ in range(8):
        await monitor.run_once()
    assert health_logs(caplog) == [
        ("WARNING", "health check 'db' is unhealthy: connection refused", "unhealthy"),
        ("INFO", "health check 'db' recovered (was unhealthy)", "healthy"),
        ("WARNING", "health check 'db' is degraded: slow: 1.2 s", "degraded"),
        ("WARNING", "health check 'db' is unhealthy: timed out", "unhealthy"),
        ("INFO", "health check 'db' recovered (was unhealthy)", "healthy"),
    ]


async def test_healthy_from_the_start_logs_nothing(
    make_monitor: MakeMonitor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="signalpost.health")
    monitor = make_monitor()
    monitor.check("cache")(lambda: True)
    await monitor.run_once()
    await monitor.run_once()
    assert health_logs(caplog) == []


def test_runs_in_a_thread_of_its_own_without_an_event_loop(make_monitor: MakeMonitor) -> None:
    monitor = make_monitor()
    runs: list[str] = []

    @monitor.check("queue", interval=0.05)
    async def queue() -> bool:
        runs.append(threading.current_thread().name)
        await asyncio.sleep(0)
        return True

    stop = monitor.start_in_thread()
    try:
        # The first round ran before start_in_thread returned.
        assert runs and monitor.report().ready
        late = monitor.check("late", interval=0.05)(lambda: True)  # added while running
        assert late is not None
        deadline = time.monotonic() + 30
        while monitor.report().components[-1].checked_at is None or len(runs) < 3:
            assert time.monotonic() < deadline, runs
            time.sleep(0.02)
    finally:
        stop()
    assert set(runs) == {"signalpost-health"}
    assert not monitor.running
    settled = len(runs)
    time.sleep(0.2)
    assert len(runs) == settled  # stopped for good
