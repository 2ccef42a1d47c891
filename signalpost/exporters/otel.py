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

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

from signalpost._extras import missing_extra

__all__ = ["OtelProviders", "create_providers", "sdk_disabled"]

_log = logging.getLogger("signalpost.internal")
_PROTOCOLS = ("http/protobuf", "grpc")
_EXPORTERS = ("otlp", "console", "none")


@dataclass
class OtelProviders:
    """The SDK providers Signalpost created; ``None`` where a signal is off."""

    tracer_provider: TracerProvider | None
    logger_provider: LoggerProvider | None
    meter_provider: MeterProvider | None

    def shutdown(self, timeout_seconds: float = 5.0) -> None:
        """Flush what is queued (bounded by ``timeout_seconds`` each) and stop exporting."""
        millis = int(timeout_seconds * 1000)
        for provider in (self.tracer_provider, self.logger_provider, self.meter_provider):
            if provider is None:
                continue
            try:
                provider.force_flush(millis)
            except Exception:
                _log.warning("flushing %s failed", type(provider).__name__, exc_info=True)
            try:
                if isinstance(provider, MeterProvider):
                    provider.shutdown(timeout_millis=millis)
                else:
                    provider.shutdown()
            except Exception:
                _log.warning("shutting down %s failed", type(provider).__name__, exc_info=True)


def sdk_disabled(environ: Mapping[str, str] | None = None) -> bool:
    """Return whether ``OTEL_SDK_DISABLED`` turns the SDK off (``true``, case-insensitive)."""
    env = os.environ if environ is None else environ
    return env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"


def _choice(
    env: Mapping[str, str], names: tuple[str, ...], allowed: tuple[str, ...], default: str
) -> str:
    for name in names:
        raw = env.get(name, "").strip().lower()
        if raw:
            # A comma-separated list is allowed by the spec; Signalpost takes the first entry.
            value = raw.split(",")[0].strip()
            if value not in allowed:
                raise ValueError(f"{name}={raw!r}: expected one of {', '.join(allowed)}")
            return value
    return default


def _protocol(env: Mapping[str, str], signal: str) -> str:
    return _choice(
        env,
        (f"OTEL_EXPORTER_OTLP_{signal}_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"),
        _PROTOCOLS,
        "http/protobuf",
    )


def _span_exporter(env: Mapping[str, str]) -> Any:
    kind = _choice(env, ("OTEL_TRACES_EXPORTER",), _EXPORTERS, "otlp")
    if kind == "none":
        return None
    if kind == "console":
        return ConsoleSpanExporter()
    if _protocol(env, "TRACES") == "grpc":
        try:
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
        except ImportError as error:  # the 'grpc' extra is not installed
            raise missing_extra("grpc", error) from error

        return OTLPSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
        OTLPSpanExporter as HttpSpanExporter,
    )

    return HttpSpanExporter()


def _log_exporter(env: Mapping[str, str]) -> Any:
    kind = _choice(env, ("OTEL_LOGS_EXPORTER",), _EXPORTERS, "otlp")
    if kind == "none":
        return None
    if kind == "console":
        return ConsoleLogRecordExporter()
    if _protocol(env, "LOGS") == "grpc":
        try:
            from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
        except ImportError as error:  # the 'grpc' extra is not installed
            raise missing_extra("grpc", error) from error

        return OTLPLogExporter()
    from opentelemetry.exporter.otlp.proto.http._log_exporter import (
        OTLPLogExporter as HttpLogExporter,
    )

    return HttpLogExporter()


def _metric_reader(env: Mapping[str, str], otlp_metrics: bool) -> MetricReader | None:
    kind = _choice(env, ("OTEL_METRICS_EXPORTER",), _EXPORTERS, "otlp" if otlp_metrics else "none")
    if kind == "none":
        return None
    if kind == "console":
        return PeriodicExportingMetricReader(ConsoleMetricExporter())
    if _protocol(env, "METRICS") == "grpc":
        try:
            from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
        except ImportError as error:  # the 'grpc' extra is not installed
            raise missing_extra("grpc", error) from error

        return PeriodicExportingMetricReader(OTLPMetricExporter())
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
        OTLPMetricExporter as HttpMetricExporter,
    )

    return PeriodicExportingMetricReader(HttpMetricExporter())


def create_providers(
    *,
    tracing: bool = True,
    logs: bool = True,
    otlp_metrics: bool = False,
    environ: Mapping[str, str] | None = None,
    resource: Resource | None = None,
) -> OtelProviders:
    """Create SDK providers from the ``OTEL_*`` environment.

    Args:
        tracing: Create a tracer provider (with the exporter ``OTEL_TRACES_EXPORTER`` names).
        logs: Create a logger provider for OTLP log records (``OTEL_LOGS_EXPORTER``).
        otlp_metrics: Export metrics through OTLP even when ``OTEL_METRICS_EXPORTER`` is unset.
            Prometheus scraping needs none of this.
        environ: Environment to read (default ``os.environ``); the SDK's own classes still
            read ``os.environ`` for their settings.
        resource: Resource to use; default ``Resource.create()`` which reads
            ``OTEL_SERVICE_NAME`` and ``OTEL_RESOURCE_ATTRIBUTES``.

    Raises:
        ValueError: an ``OTEL_*`` exporter or protocol variable has a value not supported.
    """
    env = os.environ if environ is None else environ
    if sdk_disabled(env):
        return OtelProviders(None, None, None)
    resource = resource or Resource.create()

    tracer_provider = None
    if tracing:
        tracer_provider = TracerProvider(resource=resource)
        span_exporter = _span_exporter(env)
        if span_exporter is not None:
            tracer_provider.add_span_processor(BatchSpanProcessor(span_exporter))

    logger_provider = None
    if logs:
        log_exporter = _log_exporter(env)
        if log_exporter is not None:
            logger_provider = LoggerProvider(resource=resource)
            logger_provider.add_log_record_processor(BatchLogRecordProcessor(log_exporter))

    meter_provider = None
    reader = _metric_reader(env, otlp_metrics)
    if reader is not None:
        meter_provider = MeterProvider(resource=resource, metric_readers=[reader])

    return OtelProviders(tracer_provider, logger_provider, meter_provider)
