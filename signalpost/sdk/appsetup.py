"""The application step of :func:`signalpost.setup`: middleware, endpoints and lifespan."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from prometheus_client import REGISTRY

from signalpost.health import HealthEndpoints, HealthMonitor, mount_health
from signalpost.http.middleware import HttpOptions, SignalpostMiddleware
from signalpost.runtime import Runtime
from signalpost.sdk.config import SignalpostConfig
from signalpost.sdk.gcfreeze import freeze_startup_heap
from signalpost.serving.jobs.endpoint import JobsEndpoint, mount_jobs
from signalpost.serving.metrics import Authenticator, mount_metrics, resolve_registry
from signalpost.serving.metrics.asgi import RouteHost

__all__ = ["App", "AppParts", "instrument_app"]


class App(RouteHost, Protocol):
    """What :func:`signalpost.setup` needs of a Starlette or FastAPI application."""

    router: Any

    def add_middleware(self, middleware_class: Any, *args: Any, **kwargs: Any) -> None: ...

    def mount(self, path: str, app: Any, name: str | None = None) -> None: ...


@dataclass(frozen=True)
class AppParts:
    """What set-up adds to an application besides the middleware."""

    health: HealthMonitor | None
    health_path: str
    jobs: JobsEndpoint | None
    auth: Authenticator | None
    tracing: bool
    gc_freeze: bool


def instrument_app(
    app: App,
    config: SignalpostConfig,
    shared: Runtime,
    parts: AppParts,
    on_stop: Callable[[], None],
) -> None:
    """Add the middleware and mount ``/metrics``, health and jobs endpoints on ``app``; run
    the health checks while it serves and call ``on_stop`` when its server stops."""
    _disable_fastapi_native_telemetry(app)
    http, jobs_path = config.http, config.jobs.path
    excluded = list(http.excluded_paths)
    if parts.jobs is not None:
        excluded += [jobs_path, jobs_path.rstrip("/") + "/*"]
    app.add_middleware(
        SignalpostMiddleware,
        runtime=shared,
        meter_provider=shared.meter_provider if config.metrics.otlp else None,
        options=HttpOptions(
            tracing=parts.tracing,
            recommended_attributes=config.tracing.recommended_attributes,
            request_id_header=http.request_id_header,
            trust_request_id=http.trust_request_id,
            excluded_paths=excluded,
            duration_buckets=http.duration_buckets,
            max_routes=http.max_routes,
        ),
    )
    if config.metrics.enabled and config.metrics.port is None:
        exposed = resolve_registry(None) if shared.registry is REGISTRY else shared.registry
        mount_metrics(
            app, config.metrics.path, exposed, auth=parts.auth, compression=config.metrics.gzip
        )
    if parts.health is not None:
        mount_health(app, parts.health_path, HealthEndpoints(parts.health))
    if parts.jobs is not None:
        mount_jobs(app, jobs_path, parts.jobs)
    _chain_lifespan(app, on_stop, parts.health, parts.gc_freeze)


def _disable_fastapi_native_telemetry(app: App) -> None:
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
    app: App, on_stop: Callable[[], None], health: HealthMonitor | None, gc_freeze: bool
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
            on_stop()

    router.lifespan_context = lifespan
