"""The names of Signalpost's own loggers, defined once.

``signalpost.internal`` carries Signalpost's own failures (an exporter down, a hook that
raised); it never carries the app's data. The others carry records about the app: error
records, job lifecycle lines, health-check changes, statement failures.
"""

from __future__ import annotations

__all__ = [
    "BREAKER_LOGGER_NAME",
    "DB_LOGGER_NAME",
    "ERROR_LOGGER_NAME",
    "HEALTH_LOGGER_NAME",
    "INTERNAL_LOGGER_NAME",
    "JOB_LOGGER_NAME",
]

INTERNAL_LOGGER_NAME = "signalpost.internal"
ERROR_LOGGER_NAME = "signalpost.errors"
JOB_LOGGER_NAME = "signalpost.jobs"
HEALTH_LOGGER_NAME = "signalpost.health"
DB_LOGGER_NAME = "signalpost.db"
BREAKER_LOGGER_NAME = "signalpost.breaker"
