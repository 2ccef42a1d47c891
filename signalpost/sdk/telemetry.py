"""What :func:`signalpost.setup` returns: :class:`Telemetry`, and how it shuts down."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from opentelemetry.metrics import MeterProvider
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.trace import TracerProvider
from prometheus_client import CollectorRegistry

from signalpost.errors.capture import ErrorReporter
from signalpost.loggers import INTERNAL_LOGGER_NAME
from signalpost.runtime import Runtime
from signalpost.sdk.config import SignalpostConfig
from signalpost.sdk.otel import OtelProviders
from signalpost.sdk.otlp_logs import OtlpLogHandler
from signalpost.serving.metrics import MetricsServer

__all__ = ["Telemetry"]

_log = logging.getLogger(INTERNAL_LOGGER_NAME)


@dataclass
class Telemetry:
    """What :func:`setup` created; keep it to shut down or to share with job code.

    Attributes:
        config: The validated configuration in force.
        registry: The prometheus-client registry the instrumentation records into.
        tracer_provider: Where spans go (the SDK's when Signalpost created it).
        meter_provider: OpenTelemetry metrics, when OTLP metrics export is on.
        logger_provider: OpenTelemetry logs, when OTLP log export is on.
        error_reporter: The error reporter (classifier and scrubber) in use.
        runtime: The :class:`~signalpost.runtime.Runtime` set-up installed.
    """

    config: SignalpostConfig
    registry: CollectorRegistry
    tracer_provider: TracerProvider | None
    meter_provider: MeterProvider | None
    logger_provider: LoggerProvider | None
    error_reporter: ErrorReporter
    metrics_server: MetricsServer | None = None
    runtime: Runtime | None = None
    _owned: OtelProviders | None = None
    _handlers: list[logging.Handler] = field(default_factory=list)
    _shutdown_hooks: list[Callable[[], None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _closed: bool = False

    def on_shutdown(self, hook: Callable[[], None]) -> None:
        """Call ``hook`` when shutting down (hooks run newest first)."""
        self._shutdown_hooks.append(hook)

    def flush_on_shutdown(self, handlers: list[logging.Handler]) -> None:
        """Flush ``handlers`` when shutting down (and close those feeding OTLP)."""
        self._handlers.extend(handlers)

    def shutdown(self, timeout_seconds: float | None = None) -> None:
        """Flush queued telemetry and release what :func:`setup` started. Idempotent.

        Flushing all signals together takes at most ``timeout_seconds`` (default: the
        ``export.shutdown_timeout`` setting), whatever the collector does.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
        for hook in reversed(self._shutdown_hooks):
            try:
                hook()
            except Exception:
                _log.warning("a shutdown hook failed", exc_info=True)
        if self.metrics_server is not None:
            self.metrics_server.shutdown()
        for handler in self._handlers:
            handler.flush()
        if self._owned is not None:
            if timeout_seconds is None:
                timeout_seconds = self.config.export.shutdown_timeout
            self._owned.shutdown(timeout_seconds)
        # The JSON handler stays: what is logged after this (the server's "shutdown complete",
        # a job cancelled during a deploy) is still written. Handlers that feed the providers
        # just shut down go, as they could not deliver any more.
        root = logging.getLogger()
        for handler in self._handlers:
            if isinstance(handler, OtlpLogHandler) and self._owned is not None:
                root.removeHandler(handler)
                handler.close()
            else:
                handler.flush()
