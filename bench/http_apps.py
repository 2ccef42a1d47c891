"""The applications the HTTP benchmark serves, one per mode, built by :func:`create_app`.

uvicorn imports this module in each server process and calls ``create_app`` (``--factory``);
the mode comes from ``BENCH_MODE``. Every mode serves the same route, ``GET /items/{item_id}``,
returning a small JSON dict; only the instrumentation differs:

* ``bare``: nothing added.
* ``signalpost-metrics``: :func:`signalpost.sdk.setup` with tracing off (metrics, request IDs,
  error capture).
* ``signalpost-full`` / ``signalpost-dead-collector``: :func:`signalpost.sdk.setup` with
  everything on; sampling and the OTLP endpoint come from the ``OTEL_*`` environment the
  benchmark sets.
* ``signalpost-full-unfrozen``: ``signalpost-full`` with ``setup(..., gc_freeze=False)``, the
  garbage collector as it was before the start-up heap was frozen (the GC before/after).
* ``otel-fastapi``: opentelemetry-instrumentation-fastapi as its users deploy it, with its
  defaults (the ``receive``/``send`` internal spans, its HTTP metrics), on the SDK's own
  tracer provider, batch processor (the same ``OTEL_BSP_*`` settings) and OTLP/HTTP span
  exporter, and the SDK's meter provider exporting through its OTLP/HTTP metric exporter
  (periodic reader, default interval, and once more at shut-down) to the same sink: the issue's
  "OpenTelemetry FastAPI instrumentation, OTLP export" (the full-tracing budget's reference).
* ``otel-fastapi-lean``: the same without metrics and without the internal spans: stricter
  than what users deploy (Signalpost's exporter encodes differently, see
  ``signalpost.sdk.otlp_spans``).

Every app also answers ``GET /_bench/gc`` (registered after the measured route) with the
collections of the cyclic garbage collector since start-up and their pauses, which the
benchmark reads before and after each run, and ``served``: the requests the app's handlers
ran (this one included). Every handled request makes one server span, so ``served`` is what
the OTLP sink must have received; wrk's own count misses the requests still in flight when
each run ends, which the server handles all the same.
"""

from __future__ import annotations

import contextlib
import gc
import os
import time
from collections.abc import AsyncIterator

from fastapi import FastAPI

from signalpost.sdk import SetupOptions

__all__ = ["GC_PATH", "MODES", "GcPauses", "create_app"]

MODES = (
    "bare",
    "signalpost-metrics",
    "signalpost-full",
    "signalpost-full-unfrozen",
    "otel-fastapi",
    "otel-fastapi-lean",
    "signalpost-dead-collector",
)
ROUTE = "/items/{item_id}"
GC_PATH = "/_bench/gc"


class GcPauses:
    """Collections per generation and their pauses, counted by a ``gc.callbacks`` hook."""

    def __init__(self) -> None:
        self.counts = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]
        self.max_seconds = [0.0, 0.0, 0.0]
        self._started = 0.0
        self.served = 0

    def callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        took = time.perf_counter() - self._started
        generation = info["generation"]
        self.counts[generation] += 1
        self.seconds[generation] += took
        self.max_seconds[generation] = max(self.max_seconds[generation], took)

    def snapshot(self) -> dict[str, object]:
        """The counts so far; ``max_seconds`` is reset so that each read gives its own max."""
        out: dict[str, object] = {
            "counts": list(self.counts),
            "seconds": list(self.seconds),
            "max_seconds": list(self.max_seconds),
            "frozen": gc.get_freeze_count(),
            "tracked": len(gc.get_objects()),
            "served": self.served,
        }
        self.max_seconds = [0.0, 0.0, 0.0]
        return out


def _bare_app(lifespan: object = None, gc_stats: bool = False) -> FastAPI:
    app = FastAPI(lifespan=lifespan)  # type: ignore[arg-type]
    pauses = GcPauses()

    @app.get(ROUTE)
    async def read_item(item_id: int) -> dict[str, object]:
        pauses.served += 1
        return {"item_id": item_id, "name": "widget", "price": 9.5, "tags": ["a", "b"]}

    if gc_stats:
        gc.callbacks.append(pauses.callback)

        @app.get(GC_PATH)
        async def gc_pauses() -> dict[str, object]:
            pauses.served += 1
            return pauses.snapshot()

    return app


def _signalpost_app(tracing: bool, gc_freeze: bool = True) -> FastAPI:
    from prometheus_client import CollectorRegistry

    import signalpost.sdk

    app = _bare_app(gc_stats=True)
    signalpost.sdk.setup(
        app,
        overrides={"tracing": {"enabled": tracing}},
        options=SetupOptions(registry=CollectorRegistry(), gc_freeze=gc_freeze),
    )
    return app


def _otel_fastapi_app(lean: bool) -> FastAPI:
    # OpenTelemetry's own stack throughout: the SDK's providers (sampler and resource from the
    # OTEL_* variables), batch processor (OTEL_BSP_*) and OTLP/HTTP exporters with their
    # encoders. ``lean``: no metrics, no receive/send spans.
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.metrics import MeterProvider, NoOpMeterProvider
    from opentelemetry.sdk.metrics import MeterProvider as SdkMeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    meter_provider: MeterProvider = NoOpMeterProvider()
    if not lean:
        reader = PeriodicExportingMetricReader(OTLPMetricExporter())
        meter_provider = SdkMeterProvider(metric_readers=[reader])

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            # Flush the batch processor (as Signalpost's set-up does) and the metrics.
            tracer_provider.shutdown()
            if isinstance(meter_provider, SdkMeterProvider):
                meter_provider.shutdown()

    app = _bare_app(lifespan, gc_stats=True)
    if lean:
        FastAPIInstrumentor.instrument_app(
            app,
            tracer_provider=tracer_provider,
            meter_provider=meter_provider,
            exclude_spans=["receive", "send"],
        )
    else:
        FastAPIInstrumentor.instrument_app(
            app, tracer_provider=tracer_provider, meter_provider=meter_provider
        )
    return app


def create_app() -> FastAPI:
    """Build the application for the mode named by ``BENCH_MODE``."""
    mode = os.environ.get("BENCH_MODE", "bare")
    if mode == "bare":
        return _bare_app(gc_stats=True)
    if mode == "signalpost-metrics":
        return _signalpost_app(tracing=False)
    if mode in ("signalpost-full", "signalpost-dead-collector"):
        return _signalpost_app(tracing=True)
    if mode == "signalpost-full-unfrozen":
        return _signalpost_app(tracing=True, gc_freeze=False)
    if mode in ("otel-fastapi", "otel-fastapi-lean"):
        return _otel_fastapi_app(lean=mode == "otel-fastapi-lean")
    raise ValueError(f"BENCH_MODE={mode!r}: expected one of {', '.join(MODES)}")
