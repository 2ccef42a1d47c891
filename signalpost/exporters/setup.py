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
from opentelemetry.sdk.resources import Resource
from opentelemetry.trace import TracerProvider
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    disable_created_metrics,
    enable_created_metrics,
)
from prometheus_client import metrics as prometheus_metrics

from signalpost import runtime
from signalpost._extras import missing_extra
from signalpost.exporters.config import SignalpostConfig, load_config
from signalpost.exporters.gcfreeze import freeze_startup_heap
from signalpost.exporters.jsonlog import JsonFormatter
from signalpost.exporters.logscrub import ScrubbingFilter
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
from signalpost.exporters.scrubbing import ScrubbingSpanExporter
from signalpost.instrumentation.asgi import SignalpostMiddleware
from signalpost.instrumentation.classify import ErrorClassifier, default_classifier
from signalpost.instrumentation.errors import ErrorReporter
from signalpost.instrumentation.health import HealthEndpoints, HealthMonitor, mount_health
from signalpost.instrumentation.jobs.backlog import BacklogSource
from signalpost.instrumentation.jobs.endpoint import FinishedRuns, JobsEndpoint, mount_jobs
from signalpost.instrumentation.jobs.running import RunSource
from signalpost.instrumentation.logcontext import CorrelationFilter
from signalpost.instrumentation.loggers import INTERNAL_LOGGER_NAME
from signalpost.instrumentation.scrub import Scrubber
from signalpost.instrumentation.semconv.attributes import SERVICE_NAME

__all__ = ["Telemetry", "setup"]

_log = logging.getLogger(INTERNAL_LOGGER_NAME)
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


def _auth(config: SignalpostConfig) -> Authenticator | None:
    m = config.metrics
    if m.bearer_token:
        return BearerAuth(m.bearer_token)
    if m.basic_auth_username is not None or m.basic_auth_password is not None:
        return BasicAuth(m.basic_auth_username or "", m.basic_auth_password or "")
    return None


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time of each record.

    The handler outlives :meth:`Telemetry.shutdown` (the last lines must come out), so it must
    not hold on to a stream that a test harness or a daemoniser has since replaced or closed.
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def _service_name(*providers: Any) -> str | None:
    for provider in providers:
        resource = getattr(provider, "resource", None)
        name = getattr(resource, "attributes", {}).get(SERVICE_NAME)
        if isinstance(name, str):
            return name
    name = Resource.create().attributes.get(SERVICE_NAME)
    return name if isinstance(name, str) else None


def _configure_logging(
    config: SignalpostConfig,
    logger_provider: LoggerProvider | None,
    scrubber: Scrubber,
    service_name: str | None,
    access_log_excluded_paths: list[str],
) -> list[logging.Handler]:
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_signalpost", False):
            root.removeHandler(handler)
    root.setLevel(config.logging.level.upper())
    handlers: list[logging.Handler] = []
    correlation = CorrelationFilter()
    scrubbing = ScrubbingFilter(scrubber, access_log_excluded_paths)
    if config.logging.json:
        stream = _StderrHandler()
        stream.setFormatter(JsonFormatter(service_name, scrubber))
        handlers.append(stream)
    if logger_provider is not None and config.logging.otlp:
        handlers.append(OtlpLogHandler(logger_provider, scrubber=scrubber))
    for handler in handlers:
        handler.addFilter(correlation)
        handler.addFilter(scrubbing)  # after the IDs are set; once per record for both
        handler._signalpost = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    if config.logging.json:
        for name in _SERVER_LOGGERS:
            server_logger = logging.getLogger(name)
            if not server_logger.handlers and not server_logger.propagate:
                # The server turned this log off (uvicorn --no-access-log): keep it off.
                continue
            server_logger.handlers.clear()
            server_logger.propagate = True
    return handlers


def _created_series_off() -> Callable[[], None]:
    """Turn prometheus-client's ``_created`` series off; return the hook that undoes it.

    The switch is process-wide, so shutting down puts back what was there before.
    """
    was_on = bool(getattr(prometheus_metrics, "_use_created", True))
    disable_created_metrics()  # type: ignore[no-untyped-call]

    def restore() -> None:
        if was_on:
            enable_created_metrics()  # type: ignore[no-untyped-call]

    return restore


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
        try:
            async with original(app_) as state:
                # Checks start once the app's own start-up has opened what they check; one
                # round first, so that readiness is known when start-up ends. They stop before
                # the app's shut-down closes it.
                if health is not None:
                    await health.start(wait=True)
                if gc_freeze:
                    freeze_startup_heap()
                try:
                    yield state
                finally:
                    if health is not None:
                        await health.stop()
        finally:
            telemetry.shutdown()

    router.lifespan_context = lifespan


def _finished_runs(config: SignalpostConfig) -> FinishedRuns | None:
    if config.lookup.dsn is None:
        return None
    try:
        import psycopg  # noqa: F401
    except ImportError as error:
        raise missing_extra("postgres", error) from error
    from signalpost.lookup.localstore import LocalStore

    return LocalStore(config.lookup.dsn)


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
    jobs_source: RunSource | None = None,
    finished_runs: FinishedRuns | None = None,
    jobs_backlog: BacklogSource | None = None,
    set_global_providers: bool = True,
    configure_logging: bool = True,
    gc_freeze: bool = True,
) -> Telemetry:
    """Set Signalpost up for a FastAPI/Starlette app (or, with no app, for a job worker).

    In one call: loads and validates configuration (:mod:`signalpost.exporters.config`),
    creates the OpenTelemetry SDK providers from the ``OTEL_*`` variables (unless given),
    configures JSON and OTLP logging with trace/span/request IDs on every record, adds
    :class:`~signalpost.instrumentation.asgi.SignalpostMiddleware`, serves ``/metrics`` (on the
    app or on its own port), serves health endpoints and runs their checks while the app runs
    (when a monitor is given), and makes the app's shut-down flush telemetry.

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
        classifier: The error classifier shared with jobs, health checks and database
            instrumentation. It, the registry, the scrubber (with ``errors.scrub_keys``) and
            the providers become the defaults of every component created afterwards (see
            :mod:`signalpost.runtime`) until :meth:`Telemetry.shutdown`.
        health: Health checks to run in the background, served at ``health_path``
            (``/live``, ``/ready`` and the report at ``health_path`` itself). With an app they
            run from the end of the app's own start-up to the start of its shut-down; without
            one (a worker) they run in a thread of their own until :meth:`Telemetry.shutdown`
            and are served on the metrics port when ``metrics.port`` is set.
        health_path: Where the health endpoints are mounted (excluded from HTTP metrics by
            the default ``http.excluded_paths``).
        jobs_source: The runs the running-jobs endpoints serve; this process's own by
            default. ``signalpost.celery.running_jobs(celery_app)`` serves a Celery app's
            running tasks across all its workers.
        finished_runs: Where ``GET /jobs/{id}`` finds a run that has finished; by default
            the trace and log store at ``lookup.dsn`` (``SIGNALPOST_LOOKUP_DSN``) when set.
        jobs_backlog: What waits in the job queue, listed by the running-jobs endpoints beside
            the runs (``signalpost.celery.backlog(app)``, ``signalpost.arq.backlog(url)`` or a
            query of your own; see ``docs/jobs.md``). Its gauges are reported with
            :func:`~signalpost.instrumentation.jobs.watch_backlog`.

        set_global_providers: Install the created providers as OpenTelemetry's globals.
        configure_logging: Install the JSON and OTLP log handlers on the root logger.
        gc_freeze: Once the app's start-up has run, freeze the heap out of the cyclic garbage
            collector's reach (:func:`~signalpost.exporters.gcfreeze.freeze_startup_heap`,
            once per process): full collections then walk only what was created since,
            instead of stopping every request for tens of milliseconds under tracing.

    The running-jobs endpoints (``jobs.path``, see ``docs/jobs.md``) are served on the app,
    or in a worker on the metrics port, with the metrics endpoint's authentication, and are
    kept out of the HTTP metrics.

    Returns:
        The :class:`Telemetry`; call :meth:`Telemetry.shutdown` when not using an app.

    Raises:
        signalpost.exporters.config.SettingsError: A setting or an ``OTEL_*`` variable is bad.
        signalpost.exporters.prometheus.MetricsServerError: ``metrics.port`` is taken.
    """
    config = config or load_config(config_file, overrides=overrides)
    registry = registry if registry is not None else REGISTRY

    scrubber = Scrubber(extra_keys=config.errors.scrub_keys)
    owned: OtelProviders | None = None
    if tracer_provider is None and meter_provider is None and logger_provider is None:
        owned = create_providers(
            tracing=config.tracing.enabled,
            logs=config.logging.otlp,
            otlp_metrics=config.metrics.otlp,
            wrap_span_exporter=lambda exporter: ScrubbingSpanExporter(exporter, scrubber),
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
        excluded = [*config.http.excluded_paths, config.metrics.path]
        if health is not None:
            excluded += [health_path, f"{health_path.rstrip('/')}/*"]
        telemetry._handlers = _configure_logging(
            config,
            logger_provider,
            scrubber,
            _service_name(logger_provider, tracer_provider),
            excluded,
        )

    worker_health = health if app is None else None
    jobs = (
        JobsEndpoint(
            jobs_source,
            auth=_auth(config),
            scrubber=scrubber,
            finished=finished_runs or _finished_runs(config),
            control_from_loopback=config.jobs.control_from_loopback,
            backlog=jobs_backlog,
        )
        if config.jobs.enabled
        else None
    )
    if config.metrics.enabled and config.metrics.port is not None:
        telemetry.metrics_server = start_metrics_server(
            config.metrics.port,
            config.metrics.address,
            registry if registry is not REGISTRY else None,
            auth=_auth(config),
            compression=config.metrics.gzip,
            routes=(
                {health_path: HealthEndpoints(worker_health).respond}
                if worker_health is not None
                else None
            ),
            apps={config.jobs.path: jobs.wsgi} if jobs is not None and app is None else None,
        )
    if worker_health is not None:
        # No app, no lifespan: a worker's checks run on a loop of their own.
        telemetry._shutdown_hooks.append(worker_health.start_in_thread())

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
            excluded_paths=(
                [*http.excluded_paths, config.jobs.path, config.jobs.path.rstrip("/") + "/*"]
                if jobs is not None
                else http.excluded_paths
            ),
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
            mount_health(app, health_path, HealthEndpoints(health))
        if jobs is not None:
            mount_jobs(app, config.jobs.path, jobs)
        _chain_lifespan(app, telemetry, health, gc_freeze)
    if not config.metrics.created_series:
        telemetry._shutdown_hooks.append(_created_series_off())
    # Jobs, health monitors and database instrumentation created from now on share these.
    shared = runtime.Runtime(
        registry=registry,
        classifier=classifier,
        scrubber=scrubber,
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        clock=runtime.current().clock,
    )
    telemetry._shutdown_hooks.append(runtime.install(shared))
    return telemetry
