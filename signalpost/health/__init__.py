"""Health checks run in the background, served as liveness, readiness and a JSON report.

Example::

    monitor = HealthMonitor()
    monitor.add(PostgresCheck("host=db dbname=app"))
    monitor.add(ResourcesCheck(paths=["/", "/var/lib/app"]))
    mount_health(app, "/health", HealthEndpoints(monitor))
    # in the lifespan: await monitor.start() ... await monitor.stop()

The schema specification (:func:`~signalpost.health.checks.load_schema` ...)
lives in :mod:`signalpost.health.checks`. See ``docs/health.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from signalpost.health import checks
from signalpost.health.check import FunctionCheck, HealthCheck
from signalpost.health.checks import CheckSettings, HttpCheck, TcpCheck
from signalpost.health.monitor import HealthMonitor
from signalpost.health.report import HealthReport
from signalpost.health.result import CheckResult, Status
from signalpost.serving.health import HealthEndpoints, mount_health

if TYPE_CHECKING:
    from signalpost.health.checks import (
        PostgresCheck,
        ResourcesCheck,
        ResourceThresholds,
        SchemaCheck,
        Threshold,
    )

__all__ = [
    "CheckResult",
    "CheckSettings",
    "FunctionCheck",
    "HealthCheck",
    "HealthEndpoints",
    "HealthMonitor",
    "HealthReport",
    "HttpCheck",
    "PostgresCheck",
    "ResourceThresholds",
    "ResourcesCheck",
    "SchemaCheck",
    "Status",
    "TcpCheck",
    "Threshold",
    "mount_health",
]


_OPTIONAL = ("PostgresCheck", "ResourcesCheck", "ResourceThresholds", "SchemaCheck", "Threshold")


def __getattr__(name: str) -> Any:
    # The checks that need an optional extra (psycopg, psutil) load on first use.
    if name in _OPTIONAL:
        return getattr(checks, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
