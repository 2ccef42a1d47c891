"""Every metric Signalpost records: name, unit, help and label keys, defined once.

Rules, dashboards, docs and tests read these definitions instead of retyping them. Each domain
has its own module (``http``, ``errors``, and those added by jobs, health and database
instrumentation); :data:`ALL_METRICS` lists them all. A :class:`MetricSpec` holds one
definition; :data:`MetricKind` is its instrument kind.

Naming rule, for every metric and label:

* A metric name is the OpenTelemetry instrument name translated for Prometheus: dots become
  underscores and the base unit is appended (``_seconds``, ``_bytes``, ``_ratio``); counters get
  ``_total`` in the exposition. Signalpost's own instruments start with ``signalpost_``.
* A label is an OpenTelemetry attribute key with every character outside ``[A-Za-z0-9_]``
  replaced by ``_`` (:func:`prometheus_label`), so a label and its span or log attribute are
  the same name: ``http.route`` is ``http_route``, ``job.type`` is ``job_type``.
* Attribute keys come from OpenTelemetry's semantic conventions where they define one
  (``http.*``, ``db.*``, ``error.type``, ``exception.type``, ``system.filesystem.mountpoint``);
  Signalpost's own keys are named for the thing they describe (``job.*``, ``error.class``,
  ``error.source``, ``health.*``), without a vendor prefix.
"""

from __future__ import annotations

from signalpost.semconv import breaker, db, errors, health, http, jobs
from signalpost.semconv._spec import MetricKind, MetricSpec, prometheus_label

__all__ = ["ALL_METRICS", "MetricKind", "MetricSpec", "prometheus_label"]

ALL_METRICS: tuple[MetricSpec, ...] = (
    http.REQUEST_DURATION,
    http.ACTIVE_REQUESTS,
    errors.ERRORS,
    *jobs.ALL_JOB_METRICS,
    *jobs.BACKLOG_METRICS,
    db.OPERATION_DURATION,
    health.CHECK_STATUS,
    health.CHECK_DURATION,
    health.CHECK_LAST_SUCCESS,
    health.HEALTH_STATUS,
    *health.HOST_METRICS,
    *breaker.ALL_BREAKER_METRICS,
)
