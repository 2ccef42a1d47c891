"""Signalpost instrumentation: the code that runs inside your app.

It records through the OpenTelemetry API and prometheus-client only; nothing here configures
an SDK, opens a socket or starts a thread at import. See :mod:`exporters` for set-up.
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
from signalpost.instrumentation.errors import ErrorRecord, ErrorReporter
from signalpost.instrumentation.jobs import (
    JobCancelled,
    JobRun,
    JobState,
    JobTimeout,
    RetryPolicy,
    RunningJobs,
    current_run,
    extract_context,
    inject_context,
    monitored_job,
)
from signalpost.instrumentation.scrub import Scrubber

__all__ = [
    "ConfigurationError",
    "DataError",
    "ErrorClass",
    "ErrorClassifier",
    "ErrorRecord",
    "ErrorReporter",
    "JobCancelled",
    "JobRun",
    "JobState",
    "JobTimeout",
    "RetryPolicy",
    "RunningJobs",
    "Scrubber",
    "SystemFault",
    "TransientError",
    "current_job_id",
    "current_request_id",
    "current_run",
    "default_classifier",
    "extract_context",
    "inject_context",
    "monitored_job",
]
