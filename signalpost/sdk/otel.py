"""OpenTelemetry SDK set-up: providers, batch processors and OTLP exporters.

Everything standard is read from the OpenTelemetry environment variables as the OpenTelemetry
documentation defines them: ``OTEL_SDK_DISABLED``, ``OTEL_SERVICE_NAME``,
``OTEL_RESOURCE_ATTRIBUTES``, ``OTEL_TRACES_SAMPLER`` / ``_ARG``, ``OTEL_TRACES_EXPORTER``,
``OTEL_LOGS_EXPORTER``, ``OTEL_METRICS_EXPORTER`` (``otlp``, ``console`` or ``none``),
``OTEL_EXPORTER_OTLP_PROTOCOL`` and its per-signal forms (``http/protobuf``, the default, or
``grpc``), ``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``_HEADERS`` / ``_TIMEOUT`` (read by the exporters
themselves), ``OTEL_BSP_*`` and ``OTEL_BLRP_*`` (queue sizes and delays of the batch
processors), ``OTEL_METRIC_EXPORT_INTERVAL``.

Export never runs on the request path: spans and log records go into bounded queues that a
background thread drains; when the collector is unreachable the queue fills, then drops, and
the application does not wait.
"""

from __future__ import annotations

import atexit
import importlib
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, ConsoleLogRecordExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricReader,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

from signalpost._extras import missing_extra
from signalpost.errors.scrub import Scrubber
from signalpost.loggers import INTERNAL_LOGGER_NAME
from signalpost.sdk.export_guard import (
    CollectorState,
    GuardedLogExporter,
    GuardedMetricExporter,
    GuardedSpanExporter,
    _Guard,
)
from signalpost.sdk.otel_env import OtelSettings, check_otel_environment
from signalpost.sdk.scrubbing import ScrubbingSpanExporter

__all__ = ["OtelProviders", "create_providers", "sdk_disabled"]

_DEFAULT_SHUTDOWN_SECONDS = 5.0

_log = logging.getLogger(INTERNAL_LOGGER_NAME)


@dataclass
class OtelProviders:
    """The SDK providers Signalpost created; ``None`` where a signal is off."""

    tracer_provider: TracerProvider | None
    logger_provider: LoggerProvider | None
    meter_provider: MeterProvider | None
    _guards: list[_Guard] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _closed: bool = False

    def shutdown(self, timeout_seconds: float = _DEFAULT_SHUTDOWN_SECONDS) -> bool:
        """Flush what is queued and stop exporting, within ``timeout_seconds`` in total.

        The providers shut down in parallel threads that this call stops waiting for when the
        budget is spent, whatever the collector does (a closed port, or a server that accepts
        and never answers). Each queued batch is tried once, without the exporters' back-off;
        what is not sent in time is dropped, with one warning. Idempotent.

        Returns:
            Whether everything was flushed within the budget.
        """
        with self._lock:
            if self._closed:
                return True
            self._closed = True
        atexit.unregister(self.shutdown)
        deadline = time.monotonic() + max(timeout_seconds, 0.0)
        for guard in self._guards:
            guard.stop_retrying()
        threads = [
            threading.Thread(
                target=_shutdown_provider,
                args=(provider, timeout_seconds),
                name=f"signalpost-shutdown-{type(provider).__name__}",
                daemon=True,
            )
            for provider in (self.tracer_provider, self.logger_provider, self.meter_provider)
            if provider is not None
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(max(deadline - time.monotonic(), 0.0))
        late = [thread.name for thread in threads if thread.is_alive()]
        if late:
            _log.warning(
                "telemetry not flushed within the %.1f s shut-down budget; the rest is dropped",
                timeout_seconds,
            )
        return not late


def _shutdown_provider(provider: Any, timeout_seconds: float) -> None:
    try:
        if isinstance(provider, MeterProvider):
            provider.shutdown(timeout_millis=timeout_seconds * 1000)
        else:
            provider.shutdown()
    except Exception:
        _log.warning("shutting down %s failed", type(provider).__name__, exc_info=True)


def sdk_disabled(environ: Mapping[str, str] | None = None) -> bool:
    """Return whether ``OTEL_SDK_DISABLED`` turns the SDK off (``true``, case-insensitive)."""
    env = os.environ if environ is None else environ
    return env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"


class _Exporters:
    """Builds the exporters of every signal; OTLP ones are wrapped in guards sharing state."""

    def __init__(self, settings: OtelSettings, scrubber: Scrubber | None = None) -> None:
        self.scrubber = scrubber
        self.exporters = settings.exporters
        self.protocols = settings.protocols
        self.guards: list[_Guard] = []
        self.states: dict[str, CollectorState] = {}

    def _state(self, inner: Any) -> CollectorState:
        endpoint = str(getattr(inner, "_endpoint", "") or "the OTLP endpoint")
        parts = urlsplit(endpoint if "://" in endpoint else f"//{endpoint}")
        key = parts.netloc or endpoint
        if key not in self.states:
            self.states[key] = CollectorState(key)
        return self.states[key]

    def _otlp(self, signal: str) -> tuple[Any, bool]:
        """The OTLP exporter of ``signal`` for its protocol, wrapped in a guard, and whether it
        scrubs spans itself."""
        module, name, guard_class = _OTLP[signal]
        protocol = "grpc" if self.protocols[signal] == "grpc" else "http"
        if signal == "TRACES" and protocol == "http":
            from signalpost.sdk.otlp_exporter import LeanOTLPSpanExporter

            # It scrubs while it encodes: one pass over each span instead of two.
            lean = LeanOTLPSpanExporter(scrubber=self.scrubber)
            return self._guarded(lean, guard_class, signal), True
        try:
            exporter_class = getattr(
                importlib.import_module(f"opentelemetry.exporter.otlp.proto.{protocol}.{module}"),
                name,
            )
        except ImportError as error:
            if protocol != "grpc":
                raise
            raise missing_extra("grpc", error) from error  # the 'grpc' extra is not installed
        return self._guarded(exporter_class(), guard_class, signal), False

    def _guarded(self, inner: Any, guard_class: type[_Guard], signal: str) -> Any:
        guard = guard_class(inner, signal.lower(), self._state(inner))
        self.guards.append(guard)
        return guard

    def spans(self) -> list[Any]:
        """The span exporters, each scrubbing on the export thread when a scrubber is set."""
        out = []
        for kind in self.exporters["TRACES"]:
            exporter, scrubs = (
                (ConsoleSpanExporter(), False) if kind == "console" else self._otlp("TRACES")
            )
            if self.scrubber is not None and not scrubs:
                exporter = ScrubbingSpanExporter(exporter, self.scrubber)
            out.append(exporter)
        return out

    def logs(self) -> list[Any]:
        return [
            ConsoleLogRecordExporter() if kind == "console" else self._otlp("LOGS")[0]
            for kind in self.exporters["LOGS"]
        ]

    def metric_readers(self) -> list[MetricReader]:
        return [
            PeriodicExportingMetricReader(
                ConsoleMetricExporter() if kind == "console" else self._otlp("METRICS")[0]
            )
            for kind in self.exporters["METRICS"]
        ]


# Per signal: the exporter's module under opentelemetry.exporter.otlp.proto.{grpc,http}, its
# class and the guard that reports an unreachable collector once per change of state.
_OTLP: dict[str, tuple[str, str, type[_Guard]]] = {
    "TRACES": ("trace_exporter", "OTLPSpanExporter", GuardedSpanExporter),
    "LOGS": ("_log_exporter", "OTLPLogExporter", GuardedLogExporter),
    "METRICS": ("metric_exporter", "OTLPMetricExporter", GuardedMetricExporter),
}


def create_providers(
    *,
    tracing: bool = True,
    logs: bool = True,
    otlp_metrics: bool = False,
    environ: Mapping[str, str] | None = None,
    resource: Resource | None = None,
    wrap_span_exporter: Callable[[SpanExporter], SpanExporter] | None = None,
    span_scrubber: Scrubber | None = None,
) -> OtelProviders:
    """Create SDK providers from the ``OTEL_*`` environment.

    ``OTEL_TRACES_EXPORTER``, ``OTEL_LOGS_EXPORTER`` and ``OTEL_METRICS_EXPORTER`` take a
    comma-separated list (``otlp,console``): every exporter listed receives the data. OTLP
    exporters report an unreachable collector once per change of state instead of once per
    batch. The providers are shut down by :meth:`OtelProviders.shutdown` (bounded), also at
    interpreter exit when nobody called it.

    Args:
        tracing: Create a tracer provider (with the exporters ``OTEL_TRACES_EXPORTER`` names).
        logs: Create a logger provider for OTLP log records (``OTEL_LOGS_EXPORTER``).
        otlp_metrics: Export metrics through OTLP even when ``OTEL_METRICS_EXPORTER`` is unset.
            Prometheus scraping needs none of this.
        environ: Environment to read (default ``os.environ``); the SDK's own classes still
            read ``os.environ`` for their settings.
        resource: Resource to use; default ``Resource.create()`` which reads
            ``OTEL_SERVICE_NAME`` and ``OTEL_RESOURCE_ATTRIBUTES``.
        wrap_span_exporter: Wraps each span exporter behind its batch processor (set-up uses it
            to scrub every span on the export thread).
        span_scrubber: Scrub every span on the export thread: the OTLP/HTTP exporter does it
            while encoding, other exporters are wrapped in a
            :class:`~signalpost.sdk.scrubbing.ScrubbingSpanExporter`.

    Raises:
        SettingsError: an ``OTEL_*`` variable has a value that is not valid or not supported
            (:func:`~signalpost.sdk.otel_env.check_otel_environment`).
    """
    env = os.environ if environ is None else environ
    settings = check_otel_environment(env, otlp_metrics)
    if settings.sdk_disabled:
        return OtelProviders(None, None, None)
    resource = resource or Resource.create()
    build = _Exporters(settings, span_scrubber)
    span_exporters = build.spans() if tracing else []
    log_exporters = build.logs() if logs else []
    readers = build.metric_readers()

    tracer_provider = None
    if tracing:
        tracer_provider = _tracer_provider(resource, span_exporters, wrap_span_exporter)
    logger_provider = None
    if log_exporters:
        logger_provider = LoggerProvider(resource=resource, shutdown_on_exit=False)
        for log_exporter in log_exporters:
            logger_provider.add_log_record_processor(BatchLogRecordProcessor(log_exporter))
    meter_provider = None
    if readers:
        meter_provider = MeterProvider(
            resource=resource, metric_readers=readers, shutdown_on_exit=False
        )
    providers = OtelProviders(
        tracer_provider, logger_provider, meter_provider, _guards=build.guards
    )
    # The SDK's own exit handlers would wait up to 30 s per signal; this one keeps the budget.
    atexit.register(providers.shutdown)
    return providers


def _tracer_provider(
    resource: Resource,
    exporters: list[SpanExporter],
    wrap: Callable[[SpanExporter], SpanExporter] | None,
) -> TracerProvider:
    """A tracer provider exporting to each of ``exporters`` (each wrapped by ``wrap``) in a
    batch processor of its own."""
    provider = TracerProvider(resource=resource, shutdown_on_exit=False)
    for exporter in exporters:
        wrapped = exporter if wrap is None else wrap(exporter)
        provider.add_span_processor(BatchSpanProcessor(wrapped))
    return provider
