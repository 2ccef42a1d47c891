"""A fixed pair of requests through :func:`signalpost.sdk.setup`, as the OTLP wire sees them.

:func:`export_fixed_requests` serves two requests (one ok with a child span and an event from
the app, one failing with a secret in its exception message) through a real OTLP/HTTP
exporter, batch processor and receiver, and returns the spans decoded from the wire with ids,
times and what differs between machines normalised. ``tests/sdk/fixtures/
exported_spans.json`` holds what today's code exports; re-record it (only for an intended
change of what is exported) with ``python -m tests.sdk.exported_spans``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from google.protobuf.json_format import MessageToDict  # type: ignore[import-untyped]
from opentelemetry import trace
from prometheus_client import CollectorRegistry
from starlette.testclient import TestClient

from signalpost.sdk import SetupOptions
from signalpost.sdk.setup import setup
from tests.otlp_receiver import Received, otlp_http_receiver

FIXTURE = Path(__file__).parent / "fixtures" / "exported_spans.json"
SECRETS = ("hunter2", "abcdef123456", "s3cr3t-value")
_ENV = {
    "OTEL_SERVICE_NAME": "fixture-api",
    "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=test",
    "OTEL_TRACES_SAMPLER": "always_on",
    "OTEL_METRICS_EXPORTER": "none",
    "OTEL_LOGS_EXPORTER": "none",
}
# Differ from one machine, run or SDK release to the next.
_VARYING_RESOURCE = ("service.instance.id", "telemetry.sdk.version")


def _app(providers: list[trace.TracerProvider]) -> FastAPI:
    """The app; its own spans go through ``providers[0]`` (set-up's, filled in after it ran)."""
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        trace.get_current_span().add_event("cache miss", {"cache.key": "token=s3cr3t-value"})
        tracer = trace.get_tracer("fixture.app", tracer_provider=providers[0])
        with tracer.start_as_current_span(
            "load item", attributes={"db.query.text": "select 1 where password='hunter2'"}
        ) as span:
            span.set_status(trace.Status(trace.StatusCode.OK))
        return {"item_id": item_id}

    @app.get("/boom")
    async def boom() -> None:
        raise LookupError("candidate 42 missing; api_key=abcdef123456")

    return app


@contextmanager
def _environment(endpoint: str, extra: Mapping[str, str]) -> Iterator[None]:
    wanted = {**_ENV, "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, **extra}
    saved = {k: v for k, v in os.environ.items() if k.startswith(("OTEL_", "SIGNALPOST_"))}
    for key in saved:
        del os.environ[key]
    os.environ.update(wanted)
    try:
        yield
    finally:
        for key in wanted:
            os.environ.pop(key, None)
        os.environ.update(saved)


def export_fixed_requests(env: Mapping[str, str] | None = None) -> Received:
    """Serve the fixed requests with everything on (and ``env`` set); return what the OTLP
    receiver decoded."""
    with otlp_http_receiver() as (endpoint, received), _environment(endpoint, env or {}):
        providers: list[trace.TracerProvider] = []
        app = _app(providers)
        telemetry = setup(
            app,
            options=SetupOptions(registry=CollectorRegistry(), set_global_providers=False),
        )
        if telemetry.tracer_provider is None:
            raise RuntimeError("set-up created no tracer provider")
        providers.append(telemetry.tracer_provider)
        try:
            with TestClient(app, raise_server_exceptions=False) as client:
                headers = {"User-Agent": "fixture/1.0"}
                client.get("/items/42?q=1", headers={**headers, "X-Request-ID": "req-ok"})
                client.get("/boom", headers={**headers, "X-Request-ID": "req-boom"})
        finally:
            telemetry.shutdown()  # flushes the batch processor into the receiver
    return received


def _normalise_value(key: str, value: dict[str, Any]) -> dict[str, Any]:
    if key == "exception.stacktrace":
        lines = value["stringValue"].strip().splitlines()
        return {"stringValue": f"{lines[0]} ... {lines[-1]}"}  # paths and line numbers vary
    return value


def _attributes(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"key": kv["key"], "value": _normalise_value(kv["key"], kv.get("value", {}))}
        for kv in items
    ]


def normalised(received: Received) -> dict[str, Any]:
    """The exported spans, ids replaced by their order of appearance, times dropped."""
    ids: dict[str, str] = {}

    def name_id(kind: str, raw: str) -> str:
        return ids.setdefault(f"{kind}:{raw}", f"{kind}-{sum(k.startswith(kind) for k in ids)}")

    resources: list[list[dict[str, Any]]] = []
    scopes: dict[str, list[dict[str, Any]]] = {}
    for request in received.traces:
        for rs in MessageToDict(request)["resourceSpans"]:
            resource = [
                kv
                if kv["key"] not in _VARYING_RESOURCE
                else {"key": kv["key"], "value": "<varies>"}
                for kv in rs["resource"]["attributes"]
            ]
            if resource not in resources:
                resources.append(resource)
            for ss in rs["scopeSpans"]:
                out = scopes.setdefault(json.dumps(ss["scope"], sort_keys=True), [])
                for span in ss["spans"]:
                    assert int(span.pop("endTimeUnixNano")) >= int(span.pop("startTimeUnixNano"))
                    span["traceId"] = name_id("trace", span["traceId"])
                    span["spanId"] = name_id("span", span["spanId"])
                    if "parentSpanId" in span:
                        span["parentSpanId"] = name_id("span", span["parentSpanId"])
                    span["attributes"] = _attributes(span.get("attributes", []))
                    for event in span.get("events", []):
                        event.pop("timeUnixNano")
                        event["attributes"] = _attributes(event.get("attributes", []))
                    out.append(span)
    return {
        "resources": resources,
        "scopes": [
            {"scope": json.loads(scope), "spans": spans} for scope, spans in sorted(scopes.items())
        ],
    }


if __name__ == "__main__":
    FIXTURE.write_text(json.dumps(normalised(export_fixed_requests()), indent=1) + "\n")
    print(f"recorded {FIXTURE}")
