"""The one call that sets Signalpost up: :func:`setup`."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

from opentelemetry import _logs, metrics, trace
from opentelemetry.sdk.resources import Resource
from prometheus_client import (
    REGISTRY,
    disable_created_metrics,
    enable_created_metrics,
)
from prometheus_client import metrics as prometheus_metrics

from signalpost.errors.scrub import Scrubber
from signalpost.health import HealthMonitor
from signalpost.loggers import INTERNAL_LOGGER_NAME
from signalpost.runtime import Runtime
from signalpost.runtime import current as current_runtime
from signalpost.runtime import install as install_runtime
from signalpost.sdk.appsetup import App, AppParts, instrument_app
from signalpost.sdk.config import SignalpostConfig, load_config
from signalpost.sdk.logsetup import configure_logging as _configure_logging
from signalpost.sdk.otel import OtelProviders, create_providers
from signalpost.sdk.servesetup import auth_of, jobs_endpoint, serve_on_port
from signalpost.sdk.setup_options import JobSources, SetupOptions, split_deprecated
from signalpost.sdk.telemetry import Telemetry
from signalpost.semconv.attributes import SERVICE_NAME

__all__ = ["Telemetry", "setup"]

_log = logging.getLogger(INTERNAL_LOGGER_NAME)


def _service_name(*providers: Any) -> str | None:
    for provider in providers:
        resource = getattr(provider, "resource", None)
        name = getattr(resource, "attributes", {}).get(SERVICE_NAME)
        if isinstance(name, str):
            return name
    name = Resource.create().attributes.get(SERVICE_NAME)
    return name if isinstance(name, str) else None


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


def setup(
    app: App | None = None,
    *,
    config: SignalpostConfig | None = None,
    config_file: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    health: HealthMonitor | None = None,
    jobs: JobSources | None = None,
    options: SetupOptions | None = None,
    **deprecated: Any,
) -> Telemetry:
    """Set Signalpost up for a FastAPI/Starlette app (or, with no app, for a job worker).

    In one call: loads and validates configuration (:mod:`signalpost.sdk.config`),
    creates the OpenTelemetry SDK providers from the ``OTEL_*`` variables (unless given),
    configures JSON and OTLP logging with trace/span/request IDs on every record, adds
    :class:`~signalpost.http.middleware.SignalpostMiddleware`, serves ``/metrics`` (on the
    app or on its own port), serves health endpoints and runs their checks while the app runs
    (when a monitor is given), and makes the app's shut-down flush telemetry.

    Args:
        app: The application to instrument; ``None`` sets up providers and logging only.
        config: A ready configuration; default: :func:`~signalpost.sdk.config.load_config`.
        config_file: YAML file for :func:`~signalpost.sdk.config.load_config`
            (default ``$SIGNALPOST_CONFIG_FILE``).
        overrides: Explicit settings, ``{"metrics": {"port": 9464}}``; they win.
        health: Health checks to run in the background, served at ``options.health_path``
            (``/live``, ``/ready`` and the report at the path itself). With an app they
            run from the end of the app's own start-up to the start of its shut-down; without
            one (a worker) they run in a thread of their own until :meth:`Telemetry.shutdown`
            and are served on the metrics port when ``metrics.port`` is set.
        jobs: Where the running-jobs endpoints read (:class:`JobSources`); by default this
            process's runs and, with ``lookup.dsn``, the finished ones in the lookup store.
        options: The collaborators set-up uses (registry, classifier, OpenTelemetry
            providers) and what it may install (:class:`SetupOptions`). The registry, the
            classifier, the scrubber (with ``errors.scrub_keys``) and the providers make up
            the :class:`~signalpost.runtime.Runtime` that every component resolves on its
            first use, until :meth:`Telemetry.shutdown`.
        **deprecated: The keywords that came before ``jobs=`` and ``options=``
            (``registry=``, ``jobs_source=`` ...): they work for one release and warn.

    The running-jobs endpoints (``jobs.path``, see ``docs/jobs.md``) are served on the app,
    or in a worker on the metrics port, with the metrics endpoint's authentication, and are
    kept out of the HTTP metrics.

    Returns:
        The :class:`Telemetry`; call :meth:`Telemetry.shutdown` when not using an app.

    Raises:
        signalpost.sdk.config.SettingsError: A setting or an ``OTEL_*`` variable is bad.
        signalpost.serving.metrics.MetricsServerError: ``metrics.port`` is taken.
        TypeError: A keyword ``setup()`` never accepted.

    A set-up that raises has undone every step it took (providers shut down, servers stopped,
    log handlers removed, the runtime withdrawn); the global providers are installed last.
    """
    options, sources = split_deprecated(deprecated, options, jobs)
    config = config or load_config(config_file, overrides=overrides)
    with contextlib.ExitStack() as undo:
        # Each step that installs something registers its undo; a step that raises rolls back
        # every earlier one. Installing the global providers comes last: OpenTelemetry allows
        # it once per process, so it cannot be undone.
        telemetry, shared, owned = _telemetry(config, options, undo)
        # With no provider of ours (SDK disabled), skip spans; else use what was given or the
        # global provider.
        given = telemetry.tracer_provider is not None or owned is None
        endpoint = jobs_endpoint(config, shared, sources.running, sources.finished, sources.backlog)
        parts = AppParts(
            health,
            options.health_path,
            endpoint,
            auth_of(config),
            config.tracing.enabled and given,
            options.gc_freeze,
        )
        if options.configure_logging:
            path = options.health_path if health is not None else None
            _install_logging(config, path, telemetry, shared.scrubber, undo)
        if not config.metrics.created_series:
            _undo_on_failure_and_shutdown(_created_series_off(), undo, telemetry)
        # Installed before anything starts that resolves it (a worker's health checks).
        _undo_on_failure_and_shutdown(install_runtime(shared), undo, telemetry)
        _serve(app, config, shared, parts, telemetry, undo)
        if owned is not None and options.set_global_providers:
            _install_globals(owned)
        undo.pop_all()
    return telemetry


def _undo_on_failure_and_shutdown(
    undo_step: Callable[[], None], undo: contextlib.ExitStack, telemetry: Telemetry
) -> None:
    undo.callback(undo_step)
    telemetry.on_shutdown(undo_step)


def _serve(
    app: App | None,
    config: SignalpostConfig,
    shared: Runtime,
    parts: AppParts,
    telemetry: Telemetry,
    undo: contextlib.ExitStack,
) -> None:
    """Serve the metrics port (with a worker's health endpoints), run a worker's checks, or
    instrument the app."""
    health = parts.health
    if config.metrics.enabled and config.metrics.port is not None:
        worker = (parts.health_path, health) if app is None and health is not None else None
        server = serve_on_port(config.metrics.port, config, shared, worker, parts.jobs, app)
        undo.callback(server.shutdown)
        telemetry.metrics_server = server
    if app is not None:
        instrument_app(app, config, shared, parts, telemetry.shutdown)
    elif health is not None:
        # No app, no lifespan: a worker's checks run on a loop of their own.
        _undo_on_failure_and_shutdown(health.start_in_thread(), undo, telemetry)


def _telemetry(
    config: SignalpostConfig, options: SetupOptions, undo: contextlib.ExitStack
) -> tuple[Telemetry, Runtime, OtelProviders | None]:
    """The providers (created from the environment unless given) and the runtime."""
    scrubber = Scrubber(extra_keys=config.errors.scrub_keys)
    tracer_provider = options.tracer_provider
    meter_provider = options.meter_provider
    logger_provider = options.logger_provider
    owned: OtelProviders | None = None
    if not options.providers_given:
        owned = create_providers(
            tracing=config.tracing.enabled,
            logs=config.logging.otlp,
            otlp_metrics=config.metrics.otlp,
            span_scrubber=scrubber,
        )
        undo.callback(owned.shutdown, 0.0)
        tracer_provider = owned.tracer_provider
        meter_provider = owned.meter_provider
        logger_provider = owned.logger_provider
    shared = Runtime(
        registry=options.registry if options.registry is not None else REGISTRY,
        classifier=options.classifier,
        scrubber=scrubber,
        clock=current_runtime().clock,
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        max_exception_types=config.errors.max_exception_types,
    )
    telemetry = Telemetry(
        config=config,
        registry=shared.registry,
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        logger_provider=logger_provider,
        error_reporter=shared.reporter,
        runtime=shared,
        _owned=owned,
    )
    return telemetry, shared, owned


def _install_logging(
    config: SignalpostConfig,
    health_path: str | None,
    telemetry: Telemetry,
    scrubber: Scrubber,
    undo: contextlib.ExitStack,
) -> None:
    """Install the JSON and OTLP log handlers, keeping our own endpoints' access logs out."""
    excluded = [*config.http.excluded_paths, config.metrics.path]
    if health_path is not None:
        excluded += [health_path, f"{health_path.rstrip('/')}/*"]
    logger_provider = telemetry.logger_provider
    name = _service_name(logger_provider, telemetry.tracer_provider)
    handlers, undo_logging = _configure_logging(
        config, logger_provider, scrubber, name, excluded
    )
    undo.callback(undo_logging)
    telemetry.flush_on_shutdown(handlers)


def _install_globals(owned: OtelProviders) -> None:
    if owned.tracer_provider is not None:
        trace.set_tracer_provider(owned.tracer_provider)
    if owned.meter_provider is not None:
        metrics.set_meter_provider(owned.meter_provider)
    if owned.logger_provider is not None:
        _logs.set_logger_provider(owned.logger_provider)
