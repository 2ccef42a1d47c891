from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, MutableMapping
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import SpanKind, StatusCode, format_span_id, format_trace_id
from prometheus_client import CollectorRegistry
from prometheus_client.openmetrics.exposition import generate_latest as openmetrics_latest
from starlette.testclient import TestClient

from signalpost.context import current_request_id
from signalpost.errors.capture import ERROR_LOGGER_NAME
from signalpost.http.middleware import SignalpostMiddleware
from signalpost.http.requestid import is_safe_request_id
from tests.fake_clock import FakeClock
from tests.http.middleware_args import middleware_args

DURATION = "http_server_request_duration_seconds"


def make_app(registry: CollectorRegistry, **options: Any) -> FastAPI:
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, Any]:
        return {"item_id": item_id, "request_id": current_request_id()}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("database password=hunter2 exploded")

    @app.get("/metrics")
    async def fake_metrics() -> str:
        return "ok"

    @app.get("/health/ready")
    async def ready() -> str:
        return "ok"

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def chunks() -> Any:
            for i in range(3):
                await asyncio.sleep(0.01)
                yield f"chunk {i}\n".encode()

        return StreamingResponse(chunks())

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    app.add_middleware(SignalpostMiddleware, **middleware_args(registry=registry, **options))
    return app


@pytest.fixture
def client_factory(
    registry: CollectorRegistry, tracer_provider: TracerProvider
) -> Callable[..., TestClient]:
    def factory(**options: Any) -> TestClient:
        options.setdefault("tracer_provider", tracer_provider)
        app = make_app(registry, **options)
        return TestClient(app, raise_server_exceptions=False)

    return factory


def count(
    registry: CollectorRegistry,
    method: str,
    route: str,
    status: str,
    error_type: str = "",
    scheme: str = "http",
) -> float | None:
    labels = {"http_request_method": method, "http_route": route}
    labels.update(http_response_status_code=status, error_type=error_type, url_scheme=scheme)
    return registry.get_sample_value(f"{DURATION}_count", labels)


def active(registry: CollectorRegistry, method: str) -> float | None:
    return registry.get_sample_value("http_server_active_requests", {"http_request_method": method})


def duration_series(registry: CollectorRegistry) -> set[tuple[str, str, str]]:
    found = set()
    for family in registry.collect():
        if family.name == DURATION.removesuffix("_seconds") or family.name == DURATION:
            for sample in family.samples:
                if sample.name.endswith("_count"):
                    labels = sample.labels
                    found.add(
                        (
                            labels["http_request_method"],
                            labels["http_route"],
                            labels["http_response_status_code"],
                        )
                    )
    return found


def test_metrics_use_route_template(client_factory, registry) -> None:
    client = client_factory()
    for item_id in (1, 2, 3):
        assert client.get(f"/items/{item_id}").status_code == 200
    assert client.get("/items/notanint").status_code == 422
    assert count(registry, "GET", "/items/{item_id}", "200") == 3
    assert count(registry, "GET", "/items/{item_id}", "422") == 1
    assert (
        registry.get_sample_value("http_server_active_requests", {"http_request_method": "GET"})
        == 0
    )


def test_random_path_flood_adds_no_series(client_factory, registry) -> None:
    client = client_factory()
    client.get("/nope")
    before = duration_series(registry)
    for i in range(300):
        assert client.get(f"/random/{i}/path-{i * 7}").status_code == 404
    assert duration_series(registry) == before
    assert count(registry, "GET", "_unmatched", "404") == 301


def test_unknown_methods_share_other(client_factory, registry) -> None:
    client = client_factory()
    for method in ("FOO", "BREW", "X" * 50):
        client.request(method, "/items/1")
    series = duration_series(registry)
    assert {m for m, _, _ in series} == {"_OTHER"}


def test_excluded_paths_are_not_measured(client_factory, registry) -> None:
    client = client_factory()
    assert client.get("/metrics").status_code == 200
    assert client.get("/health/ready").status_code == 200
    assert duration_series(registry) == set()


def test_custom_exclusions(client_factory, registry) -> None:
    client = client_factory(excluded_paths=["/items/*"])
    client.get("/items/1")
    client.get("/metrics")
    assert duration_series(registry) == {("GET", "/metrics", "200")}


def test_safe_client_request_id_is_kept(client_factory) -> None:
    client = client_factory()
    response = client.get("/items/1", headers={"X-Request-ID": "abc-123_def.456:7~8"})
    assert response.headers["x-request-id"] == "abc-123_def.456:7~8"
    assert response.json()["request_id"] == "abc-123_def.456:7~8"


@pytest.mark.parametrize(
    "hostile",
    ["", "a" * 129, "has space", "semi;colon", 'quote"', "<script>", "é", "a\tb", "x/../y"],
)
def test_unsafe_request_id_is_replaced(client_factory, hostile: str) -> None:
    client = client_factory()
    response = client.get("/items/1", headers=[("X-Request-ID", hostile.encode("utf-8"))])
    assert response.status_code == 200
    returned = response.headers["x-request-id"]
    assert returned != hostile
    assert is_safe_request_id(returned)
    assert response.json()["request_id"] == returned


def test_generated_request_id_is_trace_id(client_factory, span_exporter) -> None:
    client = client_factory()
    response = client.get("/items/5")
    (span,) = span_exporter.get_finished_spans()
    assert response.headers["x-request-id"] == format_trace_id(span.context.trace_id)
    assert span.attributes["request.id"] == response.headers["x-request-id"]


def test_request_id_without_tracing(client_factory, span_exporter) -> None:
    client = client_factory(tracing=False)
    first = client.get("/items/1").headers["x-request-id"]
    second = client.get("/items/1").headers["x-request-id"]
    assert first != second and len(first) == 32
    assert span_exporter.get_finished_spans() == ()


def test_custom_request_id_header_and_untrusted(client_factory) -> None:
    client = client_factory(request_id_header="X-Correlation-ID", trust_request_id=False)
    response = client.get("/items/1", headers={"X-Correlation-ID": "client-chosen"})
    assert response.headers["x-correlation-id"] != "client-chosen"
    assert "x-request-id" not in response.headers


def test_server_span_follows_conventions(client_factory, span_exporter) -> None:
    client = client_factory()
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    client.get("/items/7?q=1", headers={"traceparent": traceparent, "User-Agent": "probe"})
    (span,) = span_exporter.get_finished_spans()
    assert span.kind is SpanKind.SERVER
    assert span.name == "GET /items/{item_id}"
    assert format_trace_id(span.context.trace_id) == "0af7651916cd43dd8448eb211c80319c"
    assert span.parent is not None and format_span_id(span.parent.span_id) == "b7ad6b7169203331"
    attrs = span.attributes
    assert attrs["http.request.method"] == "GET"
    assert attrs["http.route"] == "/items/{item_id}"
    assert attrs["http.response.status_code"] == 200
    assert attrs["url.path"] == "/items/7"
    # The recommended attributes are opt-in (issue 25).
    assert "user_agent.original" not in attrs and "client.address" not in attrs


def test_recommended_attributes_when_asked_for(client_factory, span_exporter) -> None:
    client = client_factory(recommended_attributes=True)
    client.get("/items/7", headers={"User-Agent": "probe"})
    (span,) = span_exporter.get_finished_spans()
    attrs = span.attributes
    assert attrs["user_agent.original"] == "probe"
    assert attrs["network.protocol.version"] == "1.1"
    assert attrs["server.address"] == "testserver" and "client.address" in attrs


def test_malformed_traceparent_starts_new_trace(client_factory, span_exporter) -> None:
    client = client_factory()
    response = client.get("/items/1", headers={"traceparent": "00-zz-yy-01", "tracestate": "@@@"})
    assert response.status_code == 200
    (span,) = span_exporter.get_finished_spans()
    assert span.parent is None


def test_unhandled_exception_becomes_one_error_record(
    client_factory, registry, span_exporter, caplog
) -> None:
    client = client_factory()
    with caplog.at_level(logging.ERROR, logger=ERROR_LOGGER_NAME):
        response = client.get(
            "/boom",
            headers={"Authorization": "Bearer sekrit-token-123", "X-Request-ID": "req-1"},
        )
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal Server Error", "request_id": "req-1"}
    assert "hunter2" not in response.text and "RuntimeError" not in response.text
    assert response.headers["x-request-id"] == "req-1"
    assert count(registry, "GET", "/boom", "500", "RuntimeError") == 1
    assert (
        registry.get_sample_value(
            "signalpost_errors_total",
            {
                "error_source": "http",
                "error_class": "system",
                "exception_type": "RuntimeError",
            },
        )
        == 1
    )
    records = [r for r in caplog.records if r.name == ERROR_LOGGER_NAME]
    assert len(records) == 1
    record = records[0]
    error = record.signalpost_error
    assert error.request_id == "req-1"
    assert error.context["http"]["route"] == "/boom"
    assert error.context["http"]["request"]["header"]["authorization"] == "[Filtered]"
    assert "hunter2" not in error.message
    (span,) = span_exporter.get_finished_spans()
    assert error.trace_id == format_trace_id(span.context.trace_id)
    assert span.status.status_code is StatusCode.ERROR
    assert [e.name for e in span.events] == ["exception"]
    assert getattr(record, "error.fingerprint") == error.fingerprint


def test_error_fingerprint_is_stable_across_requests(client_factory, caplog) -> None:
    client = client_factory()
    with caplog.at_level(logging.ERROR, logger=ERROR_LOGGER_NAME):
        client.get("/boom")
        client.get("/boom")
    prints = {
        getattr(r, "error.fingerprint") for r in caplog.records if r.name == ERROR_LOGGER_NAME
    }
    assert len(prints) == 1


def test_exception_is_reraised_to_the_server(registry, tracer_provider) -> None:
    client = TestClient(make_app(registry, tracer_provider=tracer_provider))
    with pytest.raises(RuntimeError, match="exploded"):
        client.get("/boom")


def test_streaming_response_is_timed_to_the_end(client_factory, registry) -> None:
    client = client_factory()
    response = client.get("/stream")
    assert response.text == "chunk 0\nchunk 1\nchunk 2\n"
    total = registry.get_sample_value(
        f"{DURATION}_sum",
        {
            "http_request_method": "GET",
            "http_route": "/stream",
            "http_response_status_code": "200",
            "error_type": "",
            "url_scheme": "http",
        },
    )
    assert total is not None and total >= 0.03


def test_exemplar_carries_trace_id_when_sampled(client_factory, registry, span_exporter) -> None:
    client = client_factory()
    client.get("/items/1")
    (span,) = span_exporter.get_finished_spans()
    exposition = openmetrics_latest(registry).decode()
    assert f'trace_id="{format_trace_id(span.context.trace_id)}"' in exposition


def test_no_exemplar_when_not_sampled(client_factory, registry) -> None:
    provider = TracerProvider(sampler=ALWAYS_OFF)
    client = client_factory(tracer_provider=provider)
    response = client.get("/items/1")
    assert "trace_id" not in openmetrics_latest(registry).decode()
    assert len(response.headers["x-request-id"]) == 32


def test_otel_metrics_when_meter_provider_given(client_factory) -> None:
    reader = InMemoryMetricReader()
    client = client_factory(meter_provider=MeterProvider(metric_readers=[reader]))
    client.get("/items/1")
    data = reader.get_metrics_data()
    assert data is not None
    names = {
        metric.name: metric
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    }
    point: Any = next(iter(names["http.server.request.duration"].data.data_points))
    assert point.count == 1
    assert point.attributes["http.route"] == "/items/{item_id}"


async def test_non_http_scopes_pass_through(registry) -> None:
    seen: list[str] = []

    async def app(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    middleware = SignalpostMiddleware(app, **middleware_args(registry=registry))
    await middleware({"type": "lifespan"}, None, None)  # type: ignore[arg-type]
    await middleware({"type": "websocket", "path": "/ws", "headers": []}, None, None)  # type: ignore[arg-type]
    assert seen == ["lifespan", "websocket"]
    assert duration_series(registry) == set()


async def test_client_disconnect_is_not_an_error(registry, tracer_provider) -> None:
    app = make_app(registry, tracer_provider=tracer_provider)
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        messages.append(dict(message))

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/echo",
        "raw_path": b"/echo",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"test"), (b"content-length", b"10")],
        "client": ("127.0.0.1", 1234),
        "server": ("test", 80),
    }
    try:
        await app(scope, receive, send)
    except Exception as exc:
        assert type(exc).__name__ == "ClientDisconnect"
    assert (
        registry.get_sample_value(
            "signalpost_errors_total",
            {
                "error_source": "http",
                "error_class": "system",
                "exception_type": "ClientDisconnect",
            },
        )
        is None
    )
    assert count(registry, "POST", "/echo", "499") == 1


async def test_concurrent_requests_are_counted_exactly(registry, tracer_provider) -> None:
    app = make_app(registry, tracer_provider=tracer_provider)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        responses = await asyncio.gather(*(client.get(f"/items/{i}") for i in range(200)))
    ids = {r.headers["x-request-id"] for r in responses}
    assert len(ids) == 200
    assert all(r.json()["request_id"] == r.headers["x-request-id"] for r in responses)
    assert count(registry, "GET", "/items/{item_id}", "200") == 200
    assert (
        registry.get_sample_value("http_server_active_requests", {"http_request_method": "GET"})
        == 0
    )


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    request_id=st.binary(max_size=300),
    traceparent=st.binary(max_size=200),
    baggage=st.binary(max_size=200),
)
def test_hostile_headers_never_break_a_request(
    client_factory, request_id: bytes, traceparent: bytes, baggage: bytes
) -> None:
    client = client_factory()
    # h11 rejects some raw bytes on the wire; the ASGI scope can still carry anything.
    response = client.get(
        "/items/1",
        headers=[
            (b"x-request-id", request_id.replace(b"\r", b"").replace(b"\n", b"").strip()),
            (b"traceparent", traceparent.replace(b"\r", b"").replace(b"\n", b"").strip()),
            (b"baggage", baggage.replace(b"\r", b"").replace(b"\n", b"").strip()),
        ],
    )
    assert response.status_code == 200
    assert is_safe_request_id(response.headers["x-request-id"])


def test_baggage_reaches_application_code(registry, tracer_provider) -> None:
    from opentelemetry import baggage

    app = FastAPI()

    @app.get("/b")
    async def read_baggage() -> dict[str, Any]:
        return {"tenant": baggage.get_baggage("tenant")}

    app.add_middleware(
        SignalpostMiddleware,
        **middleware_args(registry=registry, tracer_provider=tracer_provider),
    )
    response = TestClient(app).get("/b", headers={"baggage": "tenant=acme,plan=pro"})
    assert response.json() == {"tenant": "acme"}


def test_durations_are_read_from_the_injected_clock(registry, tracer_provider) -> None:
    clock = FakeClock()
    app = FastAPI()

    @app.get("/slow")
    async def slow() -> str:
        clock.advance(2.5)
        return "done"

    app.add_middleware(
        SignalpostMiddleware,
        **middleware_args(registry=registry, tracer_provider=tracer_provider, clock=clock),
    )
    assert TestClient(app).get("/slow").text == '"done"'
    labels = {
        "http_request_method": "GET",
        "http_route": "/slow",
        "http_response_status_code": "200",
        "error_type": "",
        "url_scheme": "http",
    }
    assert registry.get_sample_value(f"{DURATION}_sum", labels) == 2.5
    assert registry.get_sample_value(f"{DURATION}_bucket", {**labels, "le": "2.5"}) == 1
    assert registry.get_sample_value(f"{DURATION}_bucket", {**labels, "le": "1.0"}) == 0
