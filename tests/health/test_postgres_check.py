"""The PostgreSQL check against a real server: healthy, slow, down and back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
from prometheus_client import CollectorRegistry
from psycopg_pool import AsyncConnectionPool

from signalpost.health import CheckSettings, HealthMonitor, PostgresCheck, Status
from tests.postgres import PostgresServer

MakeMonitor = Callable[..., HealthMonitor]


async def test_healthy_path_reports_version_and_latency(
    pg: PostgresServer, make_monitor: MakeMonitor, registry: CollectorRegistry
) -> None:
    monitor = make_monitor()
    monitor.add(PostgresCheck(pg.conninfo))
    report = await monitor.run_once()
    state = report.component("postgres")
    assert state.status is Status.HEALTHY, state.error
    assert state.details["server_version"] >= 150000
    assert state.details["database"] == "postgres"
    assert state.details["connect_seconds"] >= 0 and state.details["query_seconds"] >= 0
    assert report.ready
    assert registry.get_sample_value(
        "signalpost_health_check_status",
        {"health_check_name": "postgres", "health_check_kind": "critical",
         "health_status": "healthy"},
    ) == 1


async def test_slow_query_is_degraded(pg: PostgresServer, make_monitor: MakeMonitor) -> None:
    monitor = make_monitor()
    monitor.add(PostgresCheck(
        pg.conninfo,
        settings=CheckSettings(degraded_after=0.2),
        query="SELECT pg_sleep(0.3)",
    ))
    report = await monitor.run_once()
    state = report.component("postgres")
    assert state.status is Status.DEGRADED
    assert (state.error or "").startswith("slow: ")
    assert "threshold 0.2 s" in (state.error or "")
    assert report.ready  # degraded still serves


async def test_pool_based_check(pg: PostgresServer, make_monitor: MakeMonitor) -> None:
    async with AsyncConnectionPool(pg.conninfo, min_size=1, max_size=1, open=False) as pool:
        monitor = make_monitor()
        monitor.add(PostgresCheck(settings=CheckSettings(name="pool"), pool=pool))
        report = await monitor.run_once()
    assert report.component("pool").status is Status.HEALTHY


@pytest.mark.slow
async def test_server_stopped_mid_run_then_recovers(
    pg: PostgresServer, make_monitor: MakeMonitor
) -> None:
    interval = 0.3
    monitor = make_monitor()
    monitor.add(PostgresCheck(pg.conninfo, settings=CheckSettings(interval=interval, timeout=2.0)))
    await monitor.start(wait=True)
    assert monitor.report().component("postgres").status is Status.HEALTHY

    await asyncio.to_thread(pg.stop)
    stopped = time.monotonic()
    while monitor.report().component("postgres").status is not Status.UNHEALTHY:
        assert time.monotonic() - stopped < interval + 2.0, "not unhealthy within one interval"
        await asyncio.sleep(0.02)
    down = monitor.report()
    assert not down.ready
    assert down.component("postgres").error_class == "transient"
    assert "OperationalError" in (down.component("postgres").error or "")
    assert down.component("postgres").last_success_at is not None

    await asyncio.to_thread(pg.start)
    restarted = time.monotonic()
    while monitor.report().component("postgres").status is not Status.HEALTHY:
        assert time.monotonic() - restarted < interval + 2.0, "did not recover"
        await asyncio.sleep(0.02)
    assert monitor.report().ready
