"""The health endpoints mounted on a FastAPI app, over httpx's ASGI transport."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from fastapi import FastAPI

from signalpost.health import CheckResult, HealthEndpoints, HealthMonitor

MakeMonitor = Callable[..., HealthMonitor]


def client_for(monitor: HealthMonitor) -> httpx.AsyncClient:
    app = FastAPI()
    app.mount("/health", HealthEndpoints(monitor))

    @app.get("/")
    def home() -> dict[str, str]:
        return {"app": "ok"}

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_live_ready_and_report_when_healthy(make_monitor: MakeMonitor) -> None:
    monitor = make_monitor()
    monitor.check("db")(lambda: CheckResult.healthy(version=15))
    monitor.check("cache", critical=False)(lambda: CheckResult.degraded("slow"))
    await monitor.run_once()
    async with client_for(monitor) as client:
        live = await client.get("/health/live")
        ready = await client.get("/health/ready")
        report = await client.get("/health/")
        assert (await client.get("/")).json() == {"app": "ok"}
    assert (live.status_code, live.json()) == (200, {"status": "alive"})
    assert (ready.status_code, ready.json()) == (200, {"status": "ready", "failing": []})
    assert report.status_code == 200
    assert report.headers["content-type"] == "application/json"
    assert report.headers["cache-control"] == "no-store"
    body = report.json()
    assert body["status"] == "degraded" and body["ready"] is True
    db = body["components"]["db"]
    assert db["status"] == "healthy" and db["critical"] is True
    assert db["details"] == {"version": 15}
    assert db["error"] is None and db["latency_seconds"] >= 0
    assert db["checked_at"].endswith("+00:00") and db["last_success_at"] == db["checked_at"]
    cache = body["components"]["cache"]
    assert (cache["status"], cache["error"], cache["critical"]) == ("degraded", "slow", False)


async def test_critical_failure_makes_ready_and_report_503(make_monitor: MakeMonitor) -> None:
    monitor = make_monitor()

    @monitor.check("db")
    def db() -> None:
        raise OSError("connection refused")

    monitor.check("optional", critical=False)(lambda: False)
    await monitor.run_once()
    async with client_for(monitor) as client:
        live = await client.get("/health/live")
        ready = await client.get("/health/ready")
        report = await client.get("/health/")
    assert live.status_code == 200
    assert (ready.status_code, ready.json()) == (503, {"status": "not ready", "failing": ["db"]})
    assert report.status_code == 503
    component = report.json()["components"]["db"]
    assert component["status"] == "unhealthy"
    assert component["error"] == "OSError: connection refused"
    assert component["last_success_at"] is None


async def test_methods_paths_and_non_http_scopes(make_monitor: MakeMonitor) -> None:
    monitor = make_monitor()
    await monitor.run_once()
    async with client_for(monitor) as client:
        head = await client.head("/health/ready")
        post = await client.post("/health/ready")
        missing = await client.get("/health/nope")
    assert head.status_code == 200 and head.content == b""
    assert post.status_code == 405 and post.headers["allow"] == "GET, HEAD"
    assert missing.status_code == 404

    endpoints = HealthEndpoints(monitor)
    sent: list[dict[str, object]] = []
    messages: list[dict[str, object]] = [
        {"type": "lifespan.startup"},
        {"type": "lifespan.shutdown"},
    ]
    pending = iter(messages)

    async def receive() -> dict[str, object]:
        return next(pending)

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    await endpoints({"type": "lifespan"}, receive, send)  # type: ignore[arg-type]
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


async def test_served_standalone_without_mount(make_monitor: MakeMonitor) -> None:
    monitor = make_monitor()
    transport = httpx.ASGITransport(app=HealthEndpoints(monitor, details=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/live")).status_code == 200
        assert (await client.get("/ready")).status_code == 200  # no checks: nothing failing
        assert (await client.get("/")).status_code == 404  # details turned off
