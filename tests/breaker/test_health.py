"""An open breaker makes ``/health`` degraded, never unhealthy nor not ready."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from signalpost.breaker import BreakerCheck, CircuitBreaker
from signalpost.health import HealthEndpoints, HealthMonitor
from signalpost.runtime import Runtime
from tests.fake_clock import FakeClock


async def report(monitor: HealthMonitor) -> tuple[int, dict[str, object], int]:
    await monitor.run_once()
    app = FastAPI()
    app.mount("/health", HealthEndpoints(monitor))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        body = await client.get("/health/")
        ready = await client.get("/health/ready")
    return body.status_code, body.json(), ready.status_code


async def test_open_breaker_degrades_health_and_recovery_heals_it(
    registry: CollectorRegistry,
) -> None:
    clock = FakeClock()
    scoring = CircuitBreaker(
        "scoring", failure_threshold=1, reset_timeout=10, runtime=Runtime(registry=registry, clock=clock)
    )
    smtp = CircuitBreaker("smtp", runtime=Runtime(registry=registry, clock=clock))
    monitor = HealthMonitor(runtime=Runtime(registry=registry))
    monitor.add(BreakerCheck([scoring, smtp]))

    code, body, ready = await report(monitor)
    assert (code, body["status"], ready) == (200, "healthy", 200)

    with pytest.raises(ConnectionError):
        scoring.call(_refused)
    code, body, ready = await report(monitor)
    assert (code, body["status"], ready) == (200, "degraded", 200)
    component = body["components"]["circuit_breakers"]  # type: ignore[index]
    assert component["status"] == "degraded" and component["critical"] is False
    assert component["error"] == "circuit breaker scoring open"
    assert component["details"]["breakers"] == {
        "scoring": {"state": "open", "retry_in_seconds": 10.0},
        "smtp": {"state": "closed", "retry_in_seconds": 0.0},
    }
    assert (
        registry.get_sample_value(
            "signalpost_health_check_status",
            {
                "health_check_name": "circuit_breakers",
                "health_check_kind": "non_critical",
                "health_status": "degraded",
            },
        )
        == 1
    )

    clock.advance(10)
    assert scoring.call(lambda: "scored") == "scored"
    code, body, ready = await report(monitor)
    assert (code, body["status"], ready) == (200, "healthy", 200)


def _refused() -> None:
    raise ConnectionRefusedError("scoring API refused the connection")
