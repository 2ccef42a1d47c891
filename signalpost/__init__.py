"""Signalpost: observability for Python services and their background jobs.

The happy path is here; everything else lives in one folder per feature:
:mod:`signalpost.http` (the ASGI middleware), :mod:`signalpost.jobs` (background jobs),
:mod:`signalpost.health` (health checks), :mod:`signalpost.database` (psycopg),
:mod:`signalpost.errors` (error capture, classification, scrubbing),
:mod:`signalpost.breaker` (circuit breakers), :mod:`signalpost.serving` (the ``/metrics``,
``/jobs`` and ``/health`` endpoints), :mod:`signalpost.sdk` (set-up, configuration, OTLP,
logs) and :mod:`signalpost.integrations` (Celery, arq). ``docs/layout.md`` has the table.
Importing :mod:`signalpost` also makes the paths of the previous layout
(``signalpost.instrumentation.*``, ``signalpost.exporters.*``) import, with a deprecation
warning (:mod:`signalpost._moved`).

Names that need the OpenTelemetry SDK or an optional dependency (psycopg, psutil) are loaded
on first use, so ``import signalpost`` stays cheap and instrumentation-only code never pulls
the SDK in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from signalpost import _lazy, _moved
from signalpost.context import current_request_id
from signalpost.errors.classify import (
    ConfigurationError,
    DataError,
    SystemFault,
    TransientError,
)
from signalpost.jobs import (
    RetryPolicy,
    current_run,
    inject_context,
    monitored_job,
)

_moved.install()

if TYPE_CHECKING:
    from signalpost.database import DatabaseInstrumentation
    from signalpost.health import HealthMonitor, PostgresCheck, ResourcesCheck
    from signalpost.sdk.setup import Telemetry, setup

__all__ = [
    "ConfigurationError",
    "DataError",
    "DatabaseInstrumentation",
    "HealthMonitor",
    "PostgresCheck",
    "ResourcesCheck",
    "RetryPolicy",
    "SystemFault",
    "Telemetry",
    "TransientError",
    "current_request_id",
    "current_run",
    "inject_context",
    "monitored_job",
    "setup",
]

_LAZY = {
    "setup": "signalpost.sdk.setup",
    "Telemetry": "signalpost.sdk.setup",
    "HealthMonitor": "signalpost.health",
    "PostgresCheck": "signalpost.health",
    "ResourcesCheck": "signalpost.health",
    "DatabaseInstrumentation": "signalpost.database",
}


def __getattr__(name: str) -> Any:
    return _lazy.load("signalpost", _LAZY, name, globals())


def __dir__() -> list[str]:
    return sorted(__all__)
