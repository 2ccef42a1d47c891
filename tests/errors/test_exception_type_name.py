"""One exception, one type name: the span's ``error.type``, its exception event, its status
description, the metric labels and the error record all spell it the same way."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry

from signalpost.errors.capture import ErrorRecord
from signalpost.http.middleware import SignalpostMiddleware
from signalpost.runtime import Runtime
from signalpost.semconv import attributes as attr


class Outer:
    class PaymentDeclined(Exception):
        """Nested, so that ``__name__``, ``__qualname__`` and the module path all differ."""


EXPECTED = f"{__name__}.Outer.PaymentDeclined"


def names_seen(
    registry: CollectorRegistry,
    span_exporter: InMemorySpanExporter,
    records: list[ErrorRecord],
) -> dict[str, set[str]]:
    (span,) = span_exporter.get_finished_spans()
    (event,) = [e for e in span.events if e.name == "exception"]
    assert span.attributes is not None and event.attributes is not None
    seen = {
        "span error.type": {str(span.attributes[attr.ERROR_TYPE])},
        "exception event": {str(event.attributes[attr.EXCEPTION_TYPE])},
        "status description": {str(span.status.description)},
        "error record": {record.exception_type for record in records},
    }
    for family in registry.collect():
        for sample in family.samples:
            for label in ("error_type", "exception_type"):
                if label in sample.labels and sample.labels[label] and sample.value:
                    seen.setdefault(f"{family.name}{{{label}}}", set()).add(sample.labels[label])
    return seen


def test_http_spells_the_type_one_way(
    registry: CollectorRegistry,
    tracer_provider: TracerProvider,
    span_exporter: InMemorySpanExporter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = FastAPI()

    @app.get("/pay")
    async def pay() -> None:
        raise Outer.PaymentDeclined("card declined")

    app.add_middleware(
        SignalpostMiddleware, runtime=Runtime(registry=registry, tracer_provider=tracer_provider)
    )
    caplog.set_level(logging.ERROR, logger="signalpost.errors")
    response = TestClient(app, raise_server_exceptions=False).get("/pay")
    assert response.status_code == 500
    records = [r.signalpost_error for r in caplog.records if hasattr(r, "signalpost_error")]

    seen = names_seen(registry, span_exporter, records)

    # The metrics both carry it (the duration's error_type, the error counter's exception_type).
    assert len(seen) == 6, seen
    assert seen == {key: {EXPECTED} for key in seen}, seen
