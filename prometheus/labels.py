"""The Prometheus label names of the telemetry attributes that rules and dashboards read.

Each is derived once from the semantic conventions (``prometheus_label``): the recording rules,
the alerts, the lookup links and the Grafana queries all import them from here.
"""

from __future__ import annotations

from signalpost.jobs.state import JobState
from signalpost.semconv import attributes as attr
from signalpost.semconv import db, health, jobs, prometheus_label

__all__ = [
    "CHECK_KIND",
    "CHECK_NAME",
    "DB_OPERATION",
    "ERROR_CLASS",
    "ERROR_SOURCE",
    "EXCEPTION_TYPE",
    "FAILED_STATUSES",
    "HEALTH_STATUS",
    "JOB_QUEUE",
    "JOB_STATUS",
    "JOB_TYPE",
    "METHOD",
    "MOUNTPOINT",
    "ROUTE",
    "STATUS_CODE",
]

ROUTE = prometheus_label(attr.HTTP_ROUTE)
METHOD = prometheus_label(attr.HTTP_REQUEST_METHOD)
STATUS_CODE = prometheus_label(attr.HTTP_RESPONSE_STATUS_CODE)
JOB_TYPE = prometheus_label(jobs.JOB_TYPE)
JOB_STATUS = prometheus_label(jobs.JOB_STATUS)
JOB_QUEUE = prometheus_label(jobs.JOB_QUEUE)
ERROR_CLASS = prometheus_label(attr.ERROR_CLASS)
ERROR_SOURCE = prometheus_label(attr.ERROR_SOURCE)
EXCEPTION_TYPE = prometheus_label(attr.EXCEPTION_TYPE)
CHECK_NAME = prometheus_label(health.CHECK_NAME)
CHECK_KIND = prometheus_label(health.CHECK_KIND)
HEALTH_STATUS = prometheus_label(health.STATUS)
DB_OPERATION = prometheus_label(db.DB_OPERATION_NAME)
MOUNTPOINT = prometheus_label(health.FILESYSTEM_MOUNTPOINT)

FAILED_STATUSES = f"{JobState.FAILED}|{JobState.TIMED_OUT}"
"""The ``job_status`` values of a run that failed (a regex alternation)."""
