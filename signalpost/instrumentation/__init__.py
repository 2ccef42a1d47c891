"""Signalpost instrumentation: the code that runs inside your app.

It records through the OpenTelemetry API and prometheus-client only; nothing here configures
an SDK, opens a socket or starts a thread at import. See :mod:`signalpost.exporters` for
set-up.

This package offers the error classes, their classifier (the process-wide one is
:data:`default_classifier`), the scrubber and the correlation
IDs. The parts have their own documented submodules: :mod:`~signalpost.instrumentation.jobs`
(background jobs), :mod:`~signalpost.instrumentation.health` (health checks),
:mod:`~signalpost.instrumentation.db` (psycopg), :mod:`~signalpost.instrumentation.asgi` (the
HTTP middleware), :mod:`~signalpost.instrumentation.breaker` (circuit breakers),
:mod:`~signalpost.instrumentation.logadapters` (structlog, loguru) and
:mod:`~signalpost.instrumentation.semconv` (the metric definitions).
"""

from __future__ import annotations

from signalpost.instrumentation.classify import (
    ConfigurationError,
    DataError,
    ErrorClass,
    ErrorClassifier,
    SystemFault,
    TransientError,
    default_classifier,
)
from signalpost.instrumentation.context import current_job_id, current_request_id
from signalpost.instrumentation.scrub import Scrubber

__all__ = [
    "ConfigurationError",
    "DataError",
    "ErrorClass",
    "ErrorClassifier",
    "Scrubber",
    "SystemFault",
    "TransientError",
    "current_job_id",
    "current_request_id",
    "default_classifier",
]
