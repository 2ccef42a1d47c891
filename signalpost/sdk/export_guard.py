"""OTLP exporters that report an unreachable collector once and can be cut short at shut-down.

The OpenTelemetry exporters log a warning for every failed batch and retry each batch with
back-off for its whole export timeout. Signalpost wraps them: one log line when exports start
failing, one when they work again (the exporters' own per-batch lines are filtered out), and
:meth:`stop_retrying` makes a batch in flight give up instead of backing off, so
that shut-down can be bounded (:meth:`signalpost.sdk.otel.OtelProviders.shutdown`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk._logs.export import LogRecordExporter, LogRecordExportResult
from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult, MetricsData
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from signalpost.loggers import INTERNAL_LOGGER_NAME

__all__ = [
    "CollectorState",
    "GuardedLogExporter",
    "GuardedMetricExporter",
    "GuardedSpanExporter",
]

_log = logging.getLogger(INTERNAL_LOGGER_NAME)

# What the OTLP exporters log per failed batch; CollectorState says it once instead, with the
# first such line of the failing export as the reason.
_PER_BATCH = (
    "Transient error",
    "Failed to export",
    "Shutdown in progress",
    "Exporter already shutdown",
    "OTLP client already shutdown",
)
_SDK_LOGGERS = (
    "opentelemetry.exporter.otlp.proto.http.trace_exporter",
    "opentelemetry.exporter.otlp.proto.http._log_exporter",
    "opentelemetry.exporter.otlp.proto.http.metric_exporter",
    "opentelemetry.exporter.otlp.common.http",
    "opentelemetry.exporter.otlp.proto.grpc.exporter",
)


# The exporter logs in the thread that calls export(), so the guard finds the reason here.
_recent = threading.local()


class _PerBatchFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith(_PER_BATCH):
            first = not getattr(_recent, "reason", "")
            if first and record.msg.startswith(("Transient error", "Failed to export")):
                _recent.reason = record.getMessage()
            return False
        return True


def _reason() -> str:
    reason = str(getattr(_recent, "reason", "") or "no reason given")
    _recent.reason = ""
    return reason if len(reason) <= 200 else reason[:197] + "..."


_FILTER = _PerBatchFilter()


def _silence_sdk_retry_logs() -> None:
    """Drop the OTLP exporters' per-batch failure lines (idempotent)."""
    for name in _SDK_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


class CollectorState:
    """Whether exports to one collector work; logs only when that changes.

    The first failure logs a warning, the first success after failures logs that exports work
    again; nothing is logged per batch.
    """

    def __init__(self, endpoint: str) -> None:
        _silence_sdk_retry_logs()  # this object reports instead
        self.endpoint = endpoint
        self._lock = threading.Lock()
        self._up: bool | None = None

    def record(self, success: bool, signal: str) -> None:
        """Record one export's outcome; log on a change of state (with the exporter's reason)."""
        reason = _reason()
        with self._lock:
            changed = self._up is not success and not (self._up is None and success)
            self._up = success
        if not changed:
            return
        if success:
            _log.warning("telemetry export to %s works again (%s)", self.endpoint, signal)
        else:
            _log.warning(
                "telemetry export to %s failed (%s): %s; logged again only when it recovers",
                self.endpoint,
                signal,
                reason,
            )


def _stop_retrying(exporter: Any) -> None:
    # The SDK's only way to end back-off early is its shut-down event, which exporters keep in
    # a private field (grpc: _shutdown_in_progress; http: the client's _shutdown_event).
    # Setting the event alone, unlike calling shutdown(), still lets the final flush try once.
    for event in (
        getattr(exporter, "_shutdown_in_progress", None),
        getattr(getattr(exporter, "_client", None), "_shutdown_event", None),
    ):
        if isinstance(event, threading.Event):
            event.set()


class _Guard:
    """What the three wrappers share: the wrapped exporter, its signal and the state."""

    def __init__(self, inner: Any, signal: str, state: CollectorState) -> None:
        self._inner = inner
        self._signal = signal
        self._state = state

    def stop_retrying(self) -> None:
        """Make the export in flight and later ones try once, with no back-off."""
        _stop_retrying(self._inner)


class GuardedSpanExporter(_Guard, SpanExporter):
    """Wraps an OTLP span exporter (see the module docstring)."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        result: SpanExportResult = self._inner.export(spans)
        self._state.record(result is SpanExportResult.SUCCESS, self._signal)
        return result

    def shutdown(self) -> None:
        self._inner.shutdown()


class GuardedLogExporter(_Guard, LogRecordExporter):
    """Wraps an OTLP log record exporter (see the module docstring)."""

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        result: LogRecordExportResult = self._inner.export(batch)
        self._state.record(result is LogRecordExportResult.SUCCESS, self._signal)
        return result

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True

    def shutdown(self) -> None:
        self._inner.shutdown()


class GuardedMetricExporter(_Guard, MetricExporter):
    """Wraps an OTLP metric exporter (see the module docstring)."""

    def __init__(self, inner: MetricExporter, signal: str, state: CollectorState) -> None:
        _Guard.__init__(self, inner, signal, state)
        MetricExporter.__init__(
            self,
            preferred_temporality=inner._preferred_temporality,
            preferred_aggregation=inner._preferred_aggregation,
        )

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        result: MetricExportResult = self._inner.export(
            metrics_data, timeout_millis=timeout_millis, **kwargs
        )
        self._state.record(result is MetricExportResult.SUCCESS, self._signal)
        return result

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        self._inner.shutdown(timeout_millis=timeout_millis)
