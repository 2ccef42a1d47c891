"""Every metric Signalpost records: name, unit, help and label keys, defined once.

Rules, dashboards, docs and tests read these definitions instead of retyping them. Each domain
has its own module (``http``, ``errors``, and those added by jobs, health and database
instrumentation); :data:`ALL_METRICS` lists them all.
"""

from __future__ import annotations

from signalpost.instrumentation.semconv import db, errors, health, http, jobs
from signalpost.instrumentation.semconv._spec import MetricKind, MetricSpec, prometheus_label

__all__ = ["ALL_METRICS", "MetricKind", "MetricSpec", "prometheus_label"]

ALL_METRICS: tuple[MetricSpec, ...] = (
    http.REQUEST_DURATION,
    http.ACTIVE_REQUESTS,
    errors.ERRORS,
    *jobs.ALL_JOB_METRICS,
    db.OPERATION_DURATION,
    health.CHECK_STATUS,
    health.CHECK_DURATION,
    health.CHECK_LAST_SUCCESS,
    health.HEALTH_STATUS,
    *health.HOST_METRICS,
)
