"""Signalpost instrumentation: the code that runs inside your app.

It records through the OpenTelemetry API and prometheus-client only; nothing here configures
an SDK, opens a socket or starts a thread at import. See :mod:`exporters` for set-up.
"""

from __future__ import annotations

from instrumentation.classify import (
    ConfigurationError,
    DataError,
    ErrorClass,
    ErrorClassifier,
    SystemFault,
    TransientError,
    default_classifier,
)
from instrumentation.context import current_job_id, current_request_id
from instrumentation.errors import ErrorRecord, ErrorReporter
from instrumentation.scrub import Scrubber

__all__ = [
    "ConfigurationError",
    "DataError",
    "ErrorClass",
    "ErrorClassifier",
    "ErrorRecord",
    "ErrorReporter",
    "Scrubber",
    "SystemFault",
    "TransientError",
    "current_job_id",
    "current_request_id",
    "default_classifier",
]
