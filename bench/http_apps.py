"""The applications the HTTP benchmark serves, one per mode, built by :func:`create_app`.

uvicorn imports this module in each server process and calls ``create_app`` (``--factory``);
the mode comes from ``BENCH_MODE``. Every mode serves the same route, ``GET /items/{item_id}``,
returning a small JSON dict; only the instrumentation differs:

* ``bare``: nothing added.
* ``signalpost-metrics``: :func:`signalpost.exporters.setup` with tracing off (metrics, request IDs,
  error capture).
* ``signalpost-full`` / ``signalpost-dead-collector``: :func:`signalpost.exporters.setup` with
  everything on; sampling and the OTLP endpoint come from the ``OTEL_*`` environment the
  benchmark sets.
* ``otel-fastapi-lean``: opentelemetry-instrumentation-fastapi with no metrics and without
  the ``receive``/``send`` internal spans, on the same SDK tracer provider, batch processor
  and OTLP exporter as Signalpost creates.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator

from fastapi import FastAPI

__all__ = ["MODES", "create_app"]

MODES = (
    "bare",
    "signalpost-metrics",
    "signalpost-full",
    "otel-fastapi-lean",
    "signalpost-dead-collector",
)
ROUTE = "/items/{item_id}"


def _bare_app(lifespan: object = None) -> FastAPI:
    app = FastAPI(lifespan=lifespan)  # type: ignore[arg-type]

    @app.get(ROUTE)
    async def read_item(item_id: int) -> dict[str, object]:
        return {"item_id": item_id, "name": "widget", "price": 9.5, "tags": ["a", "b"]}

    return app


def _signalpost_app(tracing: bool) -> FastAPI:
    from prometheus_client import CollectorRegistry

    import signalpost.exporters

    app = _bare_app()
    signalpost.exporters.setup(
        app,
        registry=CollectorRegistry(),
        overrides={"tracing": {"enabled": tracing}},
    )
    return app


def _otel_fastapi_lean_app() -> FastAPI:
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.metrics import NoOpMeterProvider

    from signalpost.exporters.otel import create_providers

    providers = create_providers(tracing=True, logs=False)
    tracer_provider = providers.tracer_provider
    if tracer_provider is None:
        raise RuntimeError("otel-fastapi-lean needs the OpenTelemetry SDK enabled")

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            providers.shutdown()  # flush the batch processor, as Signalpost's set-up does

    app = _bare_app(lifespan)
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=tracer_provider,
        meter_provider=NoOpMeterProvider(),
        exclude_spans=["receive", "send"],
    )
    return app


def create_app() -> FastAPI:
    """Build the application for the mode named by ``BENCH_MODE``."""
    mode = os.environ.get("BENCH_MODE", "bare")
    if mode == "bare":
        return _bare_app()
    if mode == "signalpost-metrics":
        return _signalpost_app(tracing=False)
    if mode in ("signalpost-full", "signalpost-dead-collector"):
        return _signalpost_app(tracing=True)
    if mode == "otel-fastapi-lean":
        return _otel_fastapi_lean_app()
    raise ValueError(f"BENCH_MODE={mode!r}: expected one of {', '.join(MODES)}")
