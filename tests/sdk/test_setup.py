from __future__ import annotations

import importlib
import json
import logging
import socket
import threading
import time
from typing import Any

import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from starlette.testclient import TestClient

from signalpost.context import current_request_id
from signalpost.runtime import Runtime
from signalpost.sdk import SetupOptions
from signalpost.sdk.config import SettingsError
from signalpost.sdk.otel import create_providers
from signalpost.sdk.otlp_exporter import LeanOTLPSpanExporter
from signalpost.sdk.setup import setup
from tests.otlp_receiver import attributes, otlp_http_receiver


def make_app() -> FastAPI:
    app = FastAPI()
    log = logging.getLogger("demo.app")

    @app.get("/ok/{n}")
    async def ok(n: int) -> dict[str, Any]:
        log.info("handled %s", n, extra={"candidate_count": n})
        return {"n": n, "request_id": current_request_id()}

    @app.get("/boom")
    async def boom() -> None:
        raise LookupError("candidate 42 missing; api_key=abcdef123456")

    return app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def otel_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_SERVICE_NAME", "matching-api")
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=test")
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "50")
    monkeypatch.setenv("OTEL_BLRP_SCHEDULE_DELAY", "50")


def test_one_call_sets_up_traces_logs_metrics_and_flushes_on_shutdown(
    otel_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = CollectorRegistry()
    with otlp_http_receiver() as (endpoint, received):
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-tenant=acme")
        app = make_app()
        setup(app, options=SetupOptions(registry=registry, set_global_providers=False))
        with TestClient(app, raise_server_exceptions=False) as client:
            ok = client.get("/ok/7", headers={"X-Request-ID": "req-ok"})
            boom = client.get("/boom", headers={"X-Request-ID": "req-boom"})
            metrics = client.get("/metrics", headers={"Accept": "application/openmetrics-text"})
        # leaving the client ran the lifespan shut-down, which flushed the batch processors

    assert ok.status_code == 200 and ok.headers["x-request-id"] == "req-ok"
    assert boom.status_code == 500
    assert boom.json() == {"detail": "Internal Server Error", "request_id": "req-boom"}

    # Prometheus endpoint mounted on the app, with exemplars in OpenMetrics
    assert metrics.status_code == 200
    text = metrics.text
    assert 'http_server_request_duration_seconds_count{error_type="",http_request_method="GET",' in text
    assert 'http_route="/ok/{n}"' in text and "trace_id=" in text
    assert 'signalpost_errors_total{error_class="data",error_source="http",exception_type="LookupError"' in text
    assert "_created" not in text  # prometheus-client's extra series are off by default

    # Traces over OTLP, with the resource from OTEL_* variables
    spans = received.spans()
    by_name = {span.name: (resource, span) for resource, span in spans}
    resource, ok_span = by_name["GET /ok/{n}"]
    assert resource["service.name"] == "matching-api"
    assert resource["deployment.environment.name"] == "test"
    assert attributes(ok_span.attributes)["request.id"] == "req-ok"
    _, boom_span = by_name["GET /boom"]
    assert boom_span.status.code == 2  # STATUS_CODE_ERROR
    assert [e.name for e in boom_span.events] == ["exception"]
    assert all(h.get("x-tenant") == "acme" for h in received.headers)

    # The error record as an OTLP log record, linked to the trace
    errors = [
        record
        for _, record in received.log_records()
        if attributes(record.attributes).get("error.class") == "data"
    ]
    assert len(errors) == 1
    error_attrs = attributes(errors[0].attributes)
    assert error_attrs["exception.type"] == "LookupError"
    assert error_attrs["request.id"] == "req-boom"
    assert error_attrs["http.route"] == "/boom"
    assert "abcdef123456" not in error_attrs["exception.message"]
    assert "abcdef123456" not in error_attrs["exception.stacktrace"]
    assert errors[0].trace_id == boom_span.trace_id
    assert errors[0].severity_text == "ERROR"

    # JSON lines on stderr carry trace, span and request IDs
    lines = [
        json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")
    ]
    handled = next(line for line in lines if line["body"] == "handled 7")
    assert handled["attributes"]["request.id"] == "req-ok"
    assert handled["trace_id"] == ok_span.trace_id.hex()
    assert handled["span_id"] == ok_span.span_id.hex()
    assert handled["service.name"] == "matching-api"
    assert handled["attributes"]["candidate_count"] == 7
    errors = [line for line in lines if line["severity_text"] == "ERROR"]
    (error_line,) = errors  # one error line per unhandled error
    assert error_line["attributes"]["logger.name"] == "signalpost.errors"
    assert error_line["attributes"]["request.id"] == "req-boom"
    assert error_line["trace_id"] == boom_span.trace_id.hex()
    assert error_line["attributes"]["error.class"] == "data"
    assert error_line["attributes"]["exception.type"] == "LookupError"
    assert "abcdef123456" not in json.dumps(error_line)


def test_unreachable_collector_costs_bounded_memory_and_never_fails_requests(
    otel_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", dead)
    monkeypatch.setenv("OTEL_BSP_MAX_QUEUE_SIZE", "64")
    monkeypatch.setenv("OTEL_BLRP_MAX_QUEUE_SIZE", "64")
    monkeypatch.setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "32")
    monkeypatch.setenv("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "32")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "1")
    app = make_app()
    telemetry = setup(
        app,
        options=SetupOptions(registry=CollectorRegistry(), set_global_providers=False),
    )
    client = TestClient(app, raise_server_exceptions=False)
    statuses = {client.get(f"/ok/{i}").status_code for i in range(400)}
    statuses |= {client.get("/boom").status_code for _ in range(50)}
    assert statuses == {200, 500}

    tracer_provider: Any = telemetry.tracer_provider
    (processor,) = tracer_provider._active_span_processor._span_processors
    assert len(processor._batch_processor._queue) <= 64

    thread = threading.Thread(target=telemetry.shutdown, args=(1.0,), daemon=True)
    thread.start()
    thread.join(30)
    # shutdown gives up on the dead collector instead of hanging the process
    assert not thread.is_alive(), "telemetry shutdown hung on an unreachable collector"


def test_sdk_disabled_keeps_metrics_and_request_ids(
    otel_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    registry = CollectorRegistry()
    app = make_app()
    telemetry = setup(app, options=SetupOptions(registry=registry, set_global_providers=False))
    assert telemetry.tracer_provider is None and telemetry.logger_provider is None
    client = TestClient(app)
    response = client.get("/ok/1")
    assert len(response.headers["x-request-id"]) == 32
    labels = {
        "http_request_method": "GET",
        "http_route": "/ok/{n}",
        "http_response_status_code": "200",
        "error_type": "",
        "url_scheme": "http",
    }
    assert registry.get_sample_value("http_server_request_duration_seconds_count", labels) == 1
    telemetry.shutdown()


def test_metrics_on_own_port_with_bearer_auth(
    otel_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx

    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    port = free_port()
    monkeypatch.setenv("SIGNALPOST_METRICS_PORT", str(port))
    monkeypatch.setenv("SIGNALPOST_METRICS_ADDRESS", "127.0.0.1")
    monkeypatch.setenv("SIGNALPOST_METRICS_BEARER_TOKEN", "s3cret-token")
    registry = CollectorRegistry()
    app = make_app()
    telemetry = setup(app, options=SetupOptions(registry=registry, set_global_providers=False))
    try:
        TestClient(app).get("/ok/3")
        url = f"http://127.0.0.1:{port}/metrics"
        assert httpx.get(url).status_code == 401
        scraped = httpx.get(url, headers={"Authorization": "Bearer s3cret-token"})
        assert scraped.status_code == 200
        assert 'http_route="/ok/{n}"' in scraped.text
        # not mounted on the app when it has a port of its own
        assert TestClient(app).get("/metrics").status_code == 404
    finally:
        telemetry.shutdown()


def test_bad_configuration_stops_setup_naming_the_key(tmp_path: Any) -> None:
    config_file = tmp_path / "signalpost.yaml"
    config_file.write_text("http:\n  request_id_header: X-Request-ID\n  max_routes: many\n")
    with pytest.raises(SettingsError) as error:
        setup(
            make_app(),
            config_file=config_file,
            options=SetupOptions(registry=CollectorRegistry()),
        )
    assert str(error.value).startswith(f"{config_file}:3: http.max_routes: expected integer")


def test_tracing_disabled_by_config(otel_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNALPOST_TRACING_ENABLED", "false")
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    monkeypatch.setenv("OTEL_LOGS_EXPORTER", "none")
    app = make_app()
    telemetry = setup(
        app,
        options=SetupOptions(registry=CollectorRegistry(), set_global_providers=False),
    )
    assert telemetry.tracer_provider is None
    assert telemetry.logger_provider is None
    assert TestClient(app).get("/ok/1").status_code == 200
    telemetry.shutdown()


@pytest.mark.parametrize(
    ("protocol", "module"),
    [
        ("grpc", "opentelemetry.exporter.otlp.proto.grpc.trace_exporter"),
        ("http/protobuf", "opentelemetry.exporter.otlp.proto.http.trace_exporter"),
    ],
)
def test_protocol_chosen_from_otel_variables(protocol: str, module: str) -> None:
    env = {"OTEL_EXPORTER_OTLP_PROTOCOL": protocol, "OTEL_LOGS_EXPORTER": "none"}
    providers = create_providers(environ=env)
    provider: Any = providers.tracer_provider
    (processor,) = provider._active_span_processor._span_processors
    inner = processor._batch_processor._exporter._inner
    assert isinstance(inner, importlib.import_module(module).OTLPSpanExporter)
    if protocol == "http/protobuf":  # the SDK's exporter with the leaner encoding, active
        assert isinstance(inner, LeanOTLPSpanExporter) and inner.lean
    providers.shutdown(0.5)


def test_unsupported_exporter_value_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"OTEL_TRACES_EXPORTER: expected .*, got 'zipkin'"):
        create_providers(environ={"OTEL_TRACES_EXPORTER": "zipkin"})


def test_shutdown_is_idempotent_and_keeps_writing_json_lines(
    otel_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    telemetry = setup(
        None,
        options=SetupOptions(registry=CollectorRegistry(), set_global_providers=False),
    )
    ours = [h for h in logging.getLogger().handlers if getattr(h, "_signalpost", False)]
    assert len(ours) == 1
    telemetry.shutdown()
    telemetry.shutdown()
    # What is logged after shut-down (a server's last lines, a cancelled job) is not lost.
    logging.getLogger("uvicorn.error").info("Application shutdown complete.")
    assert "Application shutdown complete." in capsys.readouterr().err
    time.sleep(0)


def test_fastapi_native_telemetry_does_not_duplicate_the_server_span(
    otel_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    logs = InMemoryLogRecordExporter()
    logger_provider = LoggerProvider()
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
    app = FastAPI(
        telemetry={"tracer_provider": tracer_provider, "logger_provider": logger_provider}
    )

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("x")

    telemetry = setup(
        app,
        options=SetupOptions(
            registry=CollectorRegistry(),
            tracer_provider=tracer_provider,
            logger_provider=logger_provider,
            configure_logging=True,
        ),
    )
    try:
        TestClient(app, raise_server_exceptions=False).get("/boom")
    finally:
        telemetry.shutdown()
    server_spans = [s for s in spans.get_finished_spans() if s.kind.name == "SERVER"]
    assert [s.name for s in server_spans] == ["GET /boom"]
    assert server_spans[0].instrumentation_scope is not None
    assert server_spans[0].instrumentation_scope.name == "signalpost.instrumentation.asgi"
    error_logs = [
        r for r in logs.get_finished_logs() if r.log_record.severity_text == "ERROR"
    ]
    assert len(error_logs) == 1


def test_health_checks_run_from_startup_to_shutdown(
    otel_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from signalpost.health import HealthMonitor

    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    registry = CollectorRegistry()
    monitor = HealthMonitor(runtime=Runtime(registry=registry))
    state = {"up": True}

    @monitor.check("queue", critical=True, interval=0.05, timeout=1)
    def queue() -> bool:
        return state["up"]

    app = make_app()
    setup(app, health=monitor, options=SetupOptions(registry=registry, set_global_providers=False))
    with TestClient(app) as client:
        # the first round ran during start-up
        assert client.get("/health/ready").status_code == 200
        report = client.get("/health/").json()
        assert report["components"]["queue"]["status"] == "healthy"
        state["up"] = False
        deadline = time.monotonic() + 30  # a deadline for a state, not a sleep
        while client.get("/health/ready").status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert client.get("/health/ready").status_code == 503
        assert client.get("/health/live").status_code == 200
        # health endpoints are excluded from the HTTP metrics
        assert registry.get_sample_value(
            "http_server_request_duration_seconds_count",
            {
                "http_request_method": "GET",
                "http_route": "/health",
                "http_response_status_code": "200",
                "error_type": "",
                "url_scheme": "http",
            },
        ) is None
    runs_after_stop = registry.get_sample_value(
        "signalpost_health_check_duration_seconds_count",
        {"health_check_name": "queue", "health_check_kind": "critical"},
    )
    time.sleep(0.2)
    assert registry.get_sample_value(
        "signalpost_health_check_duration_seconds_count",
        {"health_check_name": "queue", "health_check_kind": "critical"},
    ) == runs_after_stop


def test_otlp_metrics_option_exports_http_metrics(
    otel_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    with otlp_http_receiver() as (endpoint, received):
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
        monkeypatch.setenv("SIGNALPOST_METRICS_OTLP", "true")
        app = make_app()
        telemetry = setup(
            app,
            options=SetupOptions(registry=CollectorRegistry(), set_global_providers=False),
        )
        assert telemetry.meter_provider is not None
        TestClient(app).get("/ok/1")
        telemetry.shutdown()
    names = {
        metric.name: metric
        for request in received.metrics
        for rm in request.resource_metrics
        for sm in rm.scope_metrics
        for metric in sm.metrics
    }
    point = names["http.server.request.duration"].histogram.data_points[0]
    assert point.count == 1
    assert attributes(point.attributes)["http.route"] == "/ok/{n}"
