"""Names of every recording rule, built from the metric definitions: dashboards import these.

Names follow ``level:metric:operations``: the level lists the labels kept (always ``service``
first), the metric is the source metric's name from ``signalpost.semconv``, the
operation says what was computed and over which window. Rates are per second; ``increase1h`` and
``increase1d`` roll-ups are counts per hour and per day. Every roll-up's operation ends in
``increase1h``/``increase1d`` or ``max_over_time1h``/``1d``: remote write selects the long-term
series by that (:func:`rollup_regex`).

Quantile series carry a ``quantile`` label (``"0.5"``, ``"0.9"``, ``"0.99"``). SLO series carry
``slo`` (and ``job_type`` for job SLOs). Health series keep their status as the ``health_status``
label, 1 when any instance of the service reports that status.

Roll-ups, queried on the long-term stores, are written once per hour or day: an instant query
sees a sample only for 5 minutes after it (the lookback delta), so query them with
``last_over_time(NAME[1h])`` / ``[1d]``.
"""

from __future__ import annotations

from prometheus import labels as lab
from signalpost.semconv import MetricSpec, db, health, http, jobs

__all__ = [
    "DB_BUCKETS",
    "DB_LATENCY",
    "DB_OPERATIONS",
    "HEALTH_CHECK_STATUS",
    "HEALTH_STATUS",
    "HTTP_BUCKETS",
    "HTTP_ERRORS",
    "HTTP_ERROR_RATIO",
    "HTTP_LATENCY",
    "HTTP_REQUESTS",
    "JOB_DURATION",
    "JOB_DURATION_BUCKETS",
    "JOB_FINISHED",
    "JOB_ITEMS",
    "JOB_STARTED",
    "JOB_SUCCESS_RATIO",
    "QUANTILES",
    "ROLLUP_WINDOWS",
    "SLO_BAD",
    "SLO_BURN_WINDOWS",
    "SLO_ERROR_BUDGET_REMAINING",
    "SLO_EVENTS",
    "rollup",
    "rollup_regex",
    "slo_error_ratio",
]

QUANTILES: tuple[float, ...] = (0.5, 0.9, 0.99)
ROLLUP_WINDOWS: tuple[str, ...] = ("1h", "1d")
SLO_BURN_WINDOWS: tuple[str, ...] = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")

_SERVICE = "service"


def _name(labels: tuple[str, ...], metric: str, operation: str) -> str:
    return f"{'_'.join(labels)}:{metric}:{operation}"


def _count(spec: MetricSpec) -> str:
    return f"{spec.name}_count"


def _bucket(spec: MetricSpec) -> str:
    return f"{spec.name}_bucket"


# HTTP, per route.
HTTP_REQUESTS = _name((_SERVICE, lab.ROUTE), _count(http.REQUEST_DURATION), "rate5m")
"""Requests/s per route."""
HTTP_ERRORS = _name((_SERVICE, lab.ROUTE), _count(http.REQUEST_DURATION), "errors_rate5m")
"""Server errors (5xx responses)/s per route."""
HTTP_ERROR_RATIO = _name((_SERVICE, lab.ROUTE), _count(http.REQUEST_DURATION), "error_ratio_rate5m")
"""Share of requests answered 5xx, per route."""
HTTP_BUCKETS = _name((_SERVICE, lab.ROUTE, "le"), _bucket(http.REQUEST_DURATION), "rate5m")
"""Request duration histogram buckets/s per route."""
HTTP_LATENCY = _name((_SERVICE, lab.ROUTE), http.REQUEST_DURATION.name, "quantile_rate5m")
"""Request duration quantiles per route (``quantile`` label)."""

# Background jobs, per job type.
JOB_STARTED = _name((_SERVICE, lab.JOB_TYPE), jobs.RUNS_STARTED.name, "rate5m")
"""Runs started/s."""
JOB_FINISHED = _name((_SERVICE, lab.JOB_TYPE, lab.JOB_STATUS), jobs.RUNS_FINISHED.name, "rate5m")
"""Runs finished/s, by final status."""
JOB_SUCCESS_RATIO = _name((_SERVICE, lab.JOB_TYPE), jobs.RUNS_FINISHED.name, "success_ratio_rate5m")
"""Succeeded share of finished runs (cancelled runs included in the denominator)."""
JOB_DURATION_BUCKETS = _name((_SERVICE, lab.JOB_TYPE, "le"), _bucket(jobs.RUN_DURATION), "rate5m")
"""Run duration histogram buckets/s, all final statuses together."""
JOB_DURATION = _name((_SERVICE, lab.JOB_TYPE), jobs.RUN_DURATION.name, "quantile_rate5m")
"""Run duration quantiles (``quantile`` label)."""
JOB_ITEMS = _name((_SERVICE, lab.JOB_TYPE), jobs.ITEMS_PROCESSED.name, "rate5m")
"""Work items processed/s."""

# Database, per operation.
DB_OPERATIONS = _name((_SERVICE, lab.DB_OPERATION), _count(db.OPERATION_DURATION), "rate5m")
"""Database operations/s."""
DB_BUCKETS = _name((_SERVICE, lab.DB_OPERATION, "le"), _bucket(db.OPERATION_DURATION), "rate5m")
"""Database operation duration buckets/s."""
DB_LATENCY = _name((_SERVICE, lab.DB_OPERATION), db.OPERATION_DURATION.name, "quantile_rate5m")
"""Database operation duration quantiles (``quantile`` label)."""

# Health.
HEALTH_STATUS = _name((_SERVICE, lab.HEALTH_STATUS), health.HEALTH_STATUS.name, "max")
"""1 when any instance of the service reports this overall status."""
HEALTH_CHECK_STATUS = _name(
    (_SERVICE, lab.CHECK_NAME, lab.CHECK_KIND, lab.HEALTH_STATUS), health.CHECK_STATUS.name, "max"
)
"""1 when any instance of the service reports this status for the check."""

# SLOs (label ``slo``; job SLOs also ``job_type``).
SLO_EVENTS = _name((_SERVICE, "slo"), "slo_events", "rate5m")
"""Events/s the SLO counts (requests, finished runs)."""
SLO_BAD = _name((_SERVICE, "slo"), "slo_events_bad", "rate5m")
"""Bad events/s (5xx, slower than the threshold, failed runs); 0, never absent, with traffic."""
SLO_ERROR_BUDGET_REMAINING = _name((_SERVICE, "slo"), "slo_error_budget", "remaining_ratio")
"""Share of the SLO window's error budget left (1 untouched, 0 spent, negative overspent)."""


def slo_error_ratio(window: str) -> str:
    """The SLO's bad share over ``window`` (one of :data:`SLO_BURN_WINDOWS`), traffic-weighted."""
    if window not in SLO_BURN_WINDOWS:
        raise ValueError(f"no SLO error ratio over {window}; windows: {SLO_BURN_WINDOWS}")
    return _name((_SERVICE, "slo"), "slo_error", f"ratio_rate{window}")


def rollup(name: str, window: str) -> str:
    """The hourly (``1h``) or daily (``1d``) roll-up of a 5-minute recording rule's name.

    ``rate5m`` becomes ``increase1h`` (a count), ``ratio_rate5m`` ``ratio_increase1h``,
    ``quantile_rate5m`` ``quantile_increase1h`` and ``max`` ``max_over_time1h``.
    """
    if window not in ROLLUP_WINDOWS:
        raise ValueError(f"no roll-up over {window}; windows: {ROLLUP_WINDOWS}")
    head, _, operation = name.rpartition(":")
    if operation.endswith("rate5m"):
        return f"{head}:{operation.removesuffix('rate5m')}increase{window}"
    if operation == "max":
        return f"{head}:max_over_time{window}"
    raise ValueError(f"{name} has no roll-up")


def rollup_regex(window: str) -> str:
    """A regex matching exactly the names of the roll-ups over ``window`` (for relabelling)."""
    if window not in ROLLUP_WINDOWS:
        raise ValueError(f"no roll-up over {window}; windows: {ROLLUP_WINDOWS}")
    return f"[^:]+:[^:]+:([a-z_]+_)?(increase|max_over_time){window}"
