"""Signalpost: observability for Python services and their background jobs.

The happy path is here; everything else lives in documented submodules:
:mod:`signalpost.instrumentation` (runs in your app, OpenTelemetry API only) and
:mod:`signalpost.exporters` (where signals leave the process: SDK set-up, OTLP, ``/metrics``,
JSON logs).

Names that need the OpenTelemetry SDK or an optional dependency (psycopg, psutil) are loaded
on first use, so ``import signalpost`` stays cheap and instrumentation-only code never pulls
the SDK in.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from signalpost.instrumentation.classify import (
    ConfigurationError,
    DataError,
    SystemFault,
    TransientError,
)
from signalpost.instrumentation.context import current_request_id
from signalpost.instrumentation.jobs import (
    RetryPolicy,
    current_run,
    inject_context,
    monitored_job,
)

if TYPE_CHECKING:
    from signalpost.exporters.setup import Telemetry, setup
    from signalpost.instrumentation.db import DatabaseInstrumentation
    from signalpost.instrumentation.health import HealthMonitor, PostgresCheck, ResourcesCheck

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
    "setup": "signalpost.exporters.setup",
    "Telemetry": "signalpost.exporters.setup",
    "HealthMonitor": "signalpost.instrumentation.health",
    "PostgresCheck": "signalpost.instrumentation.health",
    "ResourcesCheck": "signalpost.instrumentation.health",
    "DatabaseInstrumentation": "signalpost.instrumentation.db",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'signalpost' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
