"""The one call that sets Signalpost up: :func:`setup`."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from opentelemetry import _logs, metrics, trace
from opentelemetry.metrics import MeterProvider
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.trace import TracerProvider
from prometheus_client import REGISTRY, CollectorRegistry, disable_created_metrics

from signalpost.exporters.config import SignalpostConfig, load_config
from signalpost.exporters.gcfreeze import freeze_startup_heap
from signalpost.exporters.jsonlog import JsonFormatter
from signalpost.exporters.otel import OtelProviders, create_providers
from signalpost.exporters.otlp_logs import OtlpLogHandler
from signalpost.exporters.prometheus import (
    Authenticator,
    BasicAuth,
    BearerAuth,
    MetricsServer,
    mount_metrics,
    resolve_registry,
    start_metrics_server,
)
from signalpost.exporters.prometheus.asgi import RouteHost
from signalpost.instrumentation.asgi import SignalpostMiddleware
from signalpost.instrumentation.classify import ErrorClassifier, default_classifier
from signalpost.instrumentation.errors import ErrorReporter
from signalpost.instrumentation.health import HealthEndpoints, HealthMonitor
from signalpost.instrumentation.logcontext import CorrelationFilter
from signalpost.instrumentation.scrub import Scrubber

__all__ = ["Telemetry", "setup"]

_log = logging.getLogger("signalpost.internal")
# Loggers that servers configure with handlers of their own; routed to the root instead so
# that every line comes out in one format with trace and request IDs.
_SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "gunicorn.error")


class _App(RouteHost, Protocol):
    """What :func:`setup` needs of a Starlette or FastAPI application."""

    router: Any

    def add_middleware(self, middleware_class: Any, *args: Any, **kwargs: Any) -> None: ...

    def mount(self, path: str, app: Any, name: str | None = None) -> None: ...


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
    """

    config: SignalpostConfig
    registry: CollectorRegistry
    tracer_provider: TracerProvider | None
    meter_provider: MeterProvider | None
    logger_provider: LoggerProvider | None
    error_reporter: ErrorReporter
    metrics_server: MetricsServer | None = None
    _owned: OtelProviders | None = None
    _handlers: list[logging.Handler] = field(default_factory=list)
    _shutdown_hooks: list[Callable[[], None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _closed: bool = False

    def shutdown(self, timeout_seconds: float = 5.0) -> None:
        """Flush queued telemetry and release what :func:`setup` started. Idempotent.

        Waits at most about ``timeout_seconds`` per signal, even when the collector is down.
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
        if self._owned is not None:
            self._owned.shutdown(timeout_seconds)
        root = logging.getLogger()
        for handler in self._handlers:
            root.removeHandler(handler)
            handler.close()


def _auth(config: SignalpostConfig) -> Authenticator | None:
    m = config.metrics
    if m.bearer_token:
        return BearerAuth(m.bearer_token)
    if m.basic_auth_username is not None or m.basic_auth_password is not None:
        return BasicAuth(m.basic_auth_username or "", m.basic_auth_password or "")
    return None


def _configure_logging(
    config: SignalpostConfig, logger_provider: LoggerProvider | None
) -> list[logging.Handler]:
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_signalpost", False):
            root.removeHandler(handler)
    root.setLevel(config.logging.level.upper())
    handlers: list[logging.Handler] = []
    correlation = CorrelationFilter()
    if config.logging.json:
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(JsonFormatter())
        handlers.append(stream)
    if logger_provider is not None and config.logging.otlp:
        handlers.append(OtlpLogHandler(logger_provider))
    for handler in handlers:
        handler.addFilter(correlation)
        handler._signalpost = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    if config.logging.json:
        for name in _SERVER_LOGGERS:
            server_logger = logging.getLogger(name)
            server_logger.handlers.clear()
            server_logger.propagate = True
    return handlers


def _disable_fastapi_native_telemetry(app: _App) -> None:
    """Turn off FastAPI's built-in request telemetry, which would duplicate Signalpost's.

    FastAPI (0.16x) opens its own server span, records its own HTTP metrics and logs
    unhandled exceptions once OpenTelemetry providers are configured. Signalpost's middleware
    owns those signals (with request IDs, bounded labels and classified, scrubbed errors), so
    FastAPI's copies are switched off; its per-operation spans go with them.
    """
    native = getattr(app, "_telemetry", None)
    if isinstance(native, dict):
        native.update(tracing=False, metrics=False, logs=False)


def _chain_lifespan(
    app: _App, telemetry: Telemetry, health: HealthMonitor | None, gc_freeze: bool
) -> None:
    """Run health checks while the app serves, and flush telemetry when the server stops.

    With ``gc_freeze``, the heap is frozen once the app's own start-up has run.
    """
    router = app.router
    original = router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app_: Any) -> AsyncIterator[Any]:
        if health is not None:
            # One round first, so that readiness is known when start-up ends.
            await health.start(wait=True)
        try:
            async with original(app_) as state:
                if gc_freeze:
                    freeze_startup_heap()
                yield state
        finally:
            if health is not None:
                await health.stop()
            telemetry.shutdown()

    router.lifespan_context = lifespan


def setup(
    app: _App | None = None,
    *,
    config: SignalpostConfig | None = None,
    config_file: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    registry: CollectorRegistry | None = None,
    tracer_provider: TracerProvider | None = None,
    meter_provider: MeterProvider | None = None,
    logger_provider: LoggerProvider | None = None,
    classifier: ErrorClassifier = default_classifier,
    health: HealthMonitor | None = None,
    health_path: str = "/health",
    set_global_providers: bool = True,
    configure_logging: bool = True,
    gc_freeze: bool = True,
) -> Telemetry:
    """Set Signalpost up for a FastAPI/Starlette app (or, with no app, for a job worker).

    In one call: loads and validates configuration (:mod:`signalpost.exporters.config`), creates the
    OpenTelemetry SDK providers from the ``OTEL_*`` variables (unless given), configures JSON
    and OTLP logging with trace/span/request IDs on every record, adds
    :class:`~signalpost.instrumentation.asgi.SignalpostMiddleware`, serves ``/metrics`` (on the app
    or
    on its own port), serves health endpoints and runs their checks while the app runs (when
    a monitor is given), and makes the app's shut-down flush telemetry.

    Args:
        app: The application to instrument; ``None`` sets up providers and logging only.
        config: A ready configuration; default: :func:`~signalpost.exporters.config.load_config`.
        config_file: YAML file for :func:`~signalpost.exporters.config.load_config`
            (default ``$SIGNALPOST_CONFIG_FILE``).
        overrides: Explicit settings, ``{"metrics": {"port": 9464}}``; they win.
        registry: prometheus-client registry to record into (default: the global one).
        tracer_provider: Use this instead of creating one from the environment.
        meter_provider: Use this for OTLP metrics instead of creating one.
        logger_provider: Use this for OTLP logs instead of creating one.
        classifier: The error classifier shared with jobs and database instrumentation.
        health: Health checks to run in the background from start-up to shut-down, served at
            ``health_path`` (``/live``, ``/ready`` and the report at ``/``).
        health_path: Where the health endpoints are mounted (excluded from HTTP metrics by
            the default ``http.excluded_paths``).
        set_global_providers: Install the created providers as OpenTelemetry's globals.
        configure_logging: Install the JSON and OTLP log handlers on the root logger.
        gc_freeze: Once the app's start-up has run, freeze the heap out of the cyclic garbage
            collector's reach (:func:`~signalpost.exporters.gcfreeze.freeze_startup_heap`,
            once per process): full collections then walk only what was created since,
            instead of stopping every request for tens of milliseconds under tracing.

    Returns:
        The :class:`Telemetry`; call :meth:`Telemetry.shutdown` when not using an app.

    Raises:
        signalpost.exporters.config.ConfigError: A setting is unknown, mistyped or out of range.
        signalpost.exporters.prometheus.MetricsServerError: ``metrics.port`` is taken.
    """
    config = config or load_config(config_file, overrides=overrides)
    registry = registry if registry is not None else REGISTRY
    if not config.metrics.created_series:
        disable_created_metrics()  # type: ignore[no-untyped-call]

    owned: OtelProviders | None = None
    if tracer_provider is None and meter_provider is None and logger_provider is None:
        owned = create_providers(
            tracing=config.tracing.enabled,
            logs=config.logging.otlp,
            otlp_metrics=config.metrics.otlp,
        )
        tracer_provider = owned.tracer_provider
        meter_provider = owned.meter_provider
        logger_provider = owned.logger_provider
        if set_global_providers:
            if tracer_provider is not None:
                trace.set_tracer_provider(tracer_provider)
            if meter_provider is not None:
                metrics.set_meter_provider(meter_provider)
            if logger_provider is not None:
                _logs.set_logger_provider(logger_provider)

    scrubber = Scrubber(extra_keys=config.errors.scrub_keys)
    reporter = ErrorReporter(
        registry=registry,
        classifier=classifier,
        scrubber=scrubber,
        max_exception_types=config.errors.max_exception_types,
    )
    telemetry = Telemetry(
        config=config,
        registry=registry,
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        logger_provider=logger_provider,
        error_reporter=reporter,
        _owned=owned,
    )
    if configure_logging:
        telemetry._handlers = _configure_logging(config, logger_provider)

    if config.metrics.enabled and config.metrics.port is not None:
        telemetry.metrics_server = start_metrics_server(
            config.metrics.port,
            config.metrics.address,
            registry if registry is not REGISTRY else None,
            auth=_auth(config),
            compression=config.metrics.gzip,
        )

    if app is not None:
        _disable_fastapi_native_telemetry(app)
        http = config.http
        app.add_middleware(
            SignalpostMiddleware,
            registry=registry,
            tracer_provider=tracer_provider,
            meter_provider=meter_provider if config.metrics.otlp else None,
            # With no provider of ours (SDK disabled), skip spans; else use what was given or
            # the global provider.
            tracing=config.tracing.enabled and (tracer_provider is not None or owned is None),
            request_id_header=http.request_id_header,
            trust_request_id=http.trust_request_id,
            excluded_paths=http.excluded_paths,
            duration_buckets=http.duration_buckets,
            error_reporter=reporter,
            scrubber=scrubber,
            max_routes=http.max_routes,
        )
        if config.metrics.enabled and config.metrics.port is None:
            exposed = registry if registry is not REGISTRY else resolve_registry(None)
            mount_metrics(
                app,
                config.metrics.path,
                exposed,
                auth=_auth(config),
                compression=config.metrics.gzip,
            )
        if health is not None:
            app.mount(health_path, HealthEndpoints(health))
        _chain_lifespan(app, telemetry, health, gc_freeze)
    return telemetry
