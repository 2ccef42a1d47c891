"""``error.type`` and ``url.scheme`` on the HTTP duration metric, as the HTTP conventions ask.

error.type: the fully-qualified type of an exception that escaped the app, else the status
code of a 5xx answer, else absent (an empty label); url.scheme: http or https, else _OTHER.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Response
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from prometheus_client import CollectorRegistry

from signalpost.http.middleware import SignalpostMiddleware
from tests.http.middleware_args import middleware_args

DURATION = "http_server_request_duration_seconds_count"


class PaymentDeclined(Exception):
    pass


def make_app(registry: CollectorRegistry, **options: Any) -> FastAPI:
    app = FastAPI()

    @app.get("/ok")
    async def ok() -> str:
        return "ok"

    @app.get("/missing")
    async def missing() -> Response:
        return Response(status_code=404)

    @app.get("/unavailable")
    async def unavailable() -> Response:
        return Response(status_code=503)

    @app.get("/builtin")
    async def builtin() -> None:
        raise RuntimeError("boom")

    @app.get("/declined")
    async def declined() -> None:
        raise PaymentDeclined("card declined")

    @app.get("/fail/{n}")
    async def fail(n: int) -> None:
        raise [KeyError, ValueError, LookupError][n]("x")

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"first chunk\n"
            raise PaymentDeclined("failed mid-stream")

        return StreamingResponse(chunks())

    app.add_middleware(
        SignalpostMiddleware, **middleware_args(registry=registry, tracing=False, **options)
    )
    return app


def series(registry: CollectorRegistry) -> dict[tuple[str, str, str, str], float]:
    """(route, status, error_type, url_scheme) -> request count."""
    found: dict[tuple[str, str, str, str], float] = {}
    for family in registry.collect():
        for sample in family.samples:
            if sample.name == DURATION:
                labels = sample.labels
                key = (
                    labels["http_route"],
                    labels["http_response_status_code"],
                    labels["error_type"],
                    labels["url_scheme"],
                )
                found[key] = sample.value
    return found


def test_error_type_follows_the_http_conventions(registry: CollectorRegistry) -> None:
    client = TestClient(make_app(registry), raise_server_exceptions=False)
    for path in ("/ok", "/missing", "/unavailable", "/builtin", "/declined", "/declined"):
        client.get(path)
    assert series(registry) == {
        ("/ok", "200", "", "http"): 1,
        ("/missing", "404", "", "http"): 1,
        ("/unavailable", "503", "503", "http"): 1,
        ("/builtin", "500", "RuntimeError", "http"): 1,
        (
            "/declined",
            "500",
            f"{PaymentDeclined.__module__}.PaymentDeclined",
            "http",
        ): 2,
    }


def test_exception_after_the_response_started_is_the_error_type(
    registry: CollectorRegistry,
) -> None:
    client = TestClient(make_app(registry), raise_server_exceptions=False)
    try:
        client.get("/stream")
    except PaymentDeclined:
        pass  # the test client re-raises what escaped once the body has started
    # The client saw 200, but the request failed: error.type says so.
    assert series(registry) == {
        ("/stream", "200", f"{PaymentDeclined.__module__}.PaymentDeclined", "http"): 1
    }


def test_error_types_are_bounded(registry: CollectorRegistry) -> None:
    client = TestClient(make_app(registry, max_error_types=2), raise_server_exceptions=False)
    for n in (0, 1, 2, 2):
        client.get(f"/fail/{n}")
    assert series(registry) == {
        ("/fail/{n}", "500", "KeyError", "http"): 1,
        ("/fail/{n}", "500", "ValueError", "http"): 1,
        ("/fail/{n}", "500", "_OTHER", "http"): 2,
    }


async def test_url_scheme_is_http_https_or_other(registry: CollectorRegistry) -> None:
    app = make_app(registry)
    TestClient(app, base_url="https://example.test").get("/ok")
    TestClient(app).get("/ok")
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    # A proxy-headers middleware copies X-Forwarded-Proto, which any client can forge.
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "javascript",
        "path": "/ok",
        "raw_path": b"/ok",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"test")],
        "client": ("127.0.0.1", 1234),
        "server": ("test", 80),
    }
    await app(scope, receive, send)
    assert sent[0]["status"] == 200
    assert series(registry) == {
        ("/ok", "200", "", "https"): 1,
        ("/ok", "200", "", "http"): 1,
        ("/ok", "200", "", "_OTHER"): 1,
    }


def test_otel_metrics_carry_error_type_only_on_failures(registry: CollectorRegistry) -> None:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    client = TestClient(make_app(registry, meter_provider=provider), raise_server_exceptions=False)
    client.get("/ok")
    client.get("/builtin")
    data = reader.get_metrics_data()
    assert data is not None
    points = [
        point
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == "http.server.request.duration"
        for point in metric.data.data_points
    ]
    by_route = {
        str(attributes["http.route"]): dict(attributes)
        for point in points
        if (attributes := point.attributes) is not None
    }
    assert by_route["/ok"]["url.scheme"] == "http"
    assert "error.type" not in by_route["/ok"]
    assert by_route["/builtin"]["error.type"] == "RuntimeError"
    provider.shutdown()
