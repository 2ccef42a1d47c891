"""The serving step of :func:`signalpost.setup`: the running-jobs endpoint, the metrics
endpoint's credentials and, when ``metrics.port`` is set, the server on its own port."""

from __future__ import annotations

from prometheus_client import REGISTRY

from signalpost._extras import missing_extra
from signalpost.health import HealthEndpoints, HealthMonitor
from signalpost.jobs.backlog import BacklogSource
from signalpost.jobs.running import RunSource
from signalpost.runtime import Runtime
from signalpost.sdk.appsetup import App
from signalpost.sdk.config import SignalpostConfig
from signalpost.serving.jobs.endpoint import FinishedRuns, JobsEndpoint
from signalpost.serving.metrics import (
    Authenticator,
    BasicAuth,
    BearerAuth,
    MetricsServer,
    start_metrics_server,
)

__all__ = ["auth_of", "jobs_endpoint", "serve_on_port"]


def auth_of(config: SignalpostConfig) -> Authenticator | None:
    """The metrics endpoint's authentication (bearer token or basic), if configured."""
    m = config.metrics
    if m.bearer_token:
        return BearerAuth(m.bearer_token)
    if m.basic_auth_username is not None or m.basic_auth_password is not None:
        return BasicAuth(m.basic_auth_username or "", m.basic_auth_password or "")
    return None


def _finished_runs(config: SignalpostConfig) -> FinishedRuns | None:
    if config.lookup.dsn is None:
        return None
    try:
        import psycopg  # noqa: F401
    except ImportError as error:
        raise missing_extra("postgres", error) from error
    from signalpost.lookup.localstore import LocalStore

    return LocalStore(config.lookup.dsn)


def jobs_endpoint(
    config: SignalpostConfig,
    shared: Runtime,
    source: RunSource | None,
    finished: FinishedRuns | None,
    backlog: BacklogSource | None,
) -> JobsEndpoint | None:
    """The running-jobs endpoint, when ``jobs.enabled``."""
    if not config.jobs.enabled:
        return None
    return JobsEndpoint(
        source,
        auth=auth_of(config),
        scrubber=shared.scrubber,
        finished=finished or _finished_runs(config),
        control_from_loopback=config.jobs.control_from_loopback,
        backlog=backlog,
    )


def serve_on_port(
    port: int,
    config: SignalpostConfig,
    shared: Runtime,
    worker_health: tuple[str, HealthMonitor] | None,
    jobs: JobsEndpoint | None,
    app: App | None,
) -> MetricsServer:
    """Serve ``/metrics`` on its own port; a worker's health and jobs endpoints too."""
    return start_metrics_server(
        port,
        config.metrics.address,
        shared.registry if shared.registry is not REGISTRY else None,
        auth=auth_of(config),
        compression=config.metrics.gzip,
        routes=(
            {worker_health[0]: HealthEndpoints(worker_health[1]).respond}
            if worker_health is not None
            else None
        ),
        apps={config.jobs.path: jobs.wsgi} if jobs is not None and app is None else None,
    )
