"""Exceptions on spans leave scrubbed: HTTP server spans, job spans, url.path."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode
from prometheus_client import CollectorRegistry
from starlette.testclient import TestClient

from signalpost.errors.scrub import Scrubber
from signalpost.errors.spans import record_exception, set_error_status
from signalpost.http.middleware import SignalpostMiddleware
from signalpost.runtime import Runtime
from tests.secrets_fixture import SECRETS

__all__ = ["ALL_TEXT", "assert_no_secret", "everything", "fail_with_secrets"]

ALL_TEXT = " | ".join(s.text for s in SECRETS)


def everything(spans: tuple[ReadableSpan, ...]) -> str:
    """Every string a span exports: name, attributes, events, status."""
    parts: list[str] = []
    for span in spans:
        parts.append(span.name)
        parts.extend(map(str, (span.attributes or {}).values()))
        for event in span.events:
            parts.append(event.name)
            parts.extend(map(str, (event.attributes or {}).values()))
        parts.append(span.status.description or "")
    return "\n".join(parts)


def assert_no_secret(text: str) -> None:
    leaked = [s.name for s in SECRETS if s.value in text]
    assert not leaked, leaked


def fail_with_secrets() -> None:
    try:
        raise ConnectionError(f"cause: {ALL_TEXT}")
    except ConnectionError as cause:
        raise RuntimeError(f"sync failed: {ALL_TEXT}") from cause


def test_http_exception_event_is_scrubbed(
    registry: CollectorRegistry,
    tracer_provider: TracerProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    app = FastAPI()

    @app.get("/reset-password/{token}")
    async def reset(token: str) -> None:
        fail_with_secrets()

    app.add_middleware(
        SignalpostMiddleware, runtime=Runtime(registry=registry, tracer_provider=tracer_provider)
    )
    client = TestClient(app, raise_server_exceptions=False)
    reset_token = "q8Zr2Lx7Wm4Kp9Tn"
    assert client.get(f"/reset-password/{reset_token}").status_code == 500
    (span,) = span_exporter.get_finished_spans()
    (event,) = [e for e in span.events if e.name == "exception"]
    attributes: dict[str, Any] = dict(event.attributes or {})
    assert attributes["exception.type"] == "RuntimeError"
    assert attributes["exception.message"].startswith("sync failed: ")
    assert "ConnectionError" in attributes["exception.stacktrace"]
    assert (
        span.attributes is not None and span.attributes["url.path"] == "/reset-password/[Filtered]"
    )
    assert span.status.status_code is StatusCode.ERROR
    text = everything(span_exporter.get_finished_spans())
    assert_no_secret(text)
    assert reset_token not in text


def test_helpers_do_nothing_on_spans_that_do_not_record(
    tracer_provider: TracerProvider,
) -> None:
    from opentelemetry import trace

    span = trace.INVALID_SPAN
    record_exception(span, RuntimeError("x"), Scrubber())
    set_error_status(span, "x", Scrubber())


def test_status_description_is_scrubbed(
    tracer_provider: TracerProvider, span_exporter: InMemorySpanExporter
) -> None:
    with tracer_provider.get_tracer("t").start_as_current_span("s") as span:
        set_error_status(span, f"failed: {SECRETS[0].text}", Scrubber())
    (finished,) = span_exporter.get_finished_spans()
    assert finished.status.description == "failed: push failed with [Filtered]"
