"""The Prometheus endpoint: an ASGI app to mount, or a server on its own port.

Both speak the Prometheus text format 0.0.4 and OpenMetrics 1.0.0 (chosen from ``Accept``;
only OpenMetrics carries exemplars), gzip when the scraper accepts it, filter by ``name[]``,
serve ``GET``/``HEAD`` only, and optionally require a bearer token or basic credentials.
Under gunicorn the registry merges every worker's files (prometheus-client multiprocess mode,
``PROMETHEUS_MULTIPROC_DIR``); see :mod:`signalpost.sdk.gunicorn_config` and
``docs/prometheus-endpoint.md``.

Content negotiation and rendering live in :mod:`signalpost.serving.metrics.exposition`
(not needed to serve the endpoint). Nothing starts at import.
"""

from __future__ import annotations

from signalpost.serving.metrics.asgi import MetricsApp, metrics_app, mount_metrics
from signalpost.serving.metrics.auth import Authenticator, BasicAuth, BearerAuth
from signalpost.serving.metrics.registry import (
    MultiprocessDirError,
    check_multiprocess_dir,
    resolve_registry,
)
from signalpost.serving.metrics.server import (
    MetricsServer,
    MetricsServerError,
    start_metrics_server,
)

__all__ = [
    "Authenticator",
    "BasicAuth",
    "BearerAuth",
    "MetricsApp",
    "MetricsServer",
    "MetricsServerError",
    "MultiprocessDirError",
    "check_multiprocess_dir",
    "metrics_app",
    "mount_metrics",
    "resolve_registry",
    "start_metrics_server",
]
