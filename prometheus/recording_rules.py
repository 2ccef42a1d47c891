"""Recording rules: 5-minute rates and ratios, and their hourly and daily roll-ups.

Numerators and denominators are recorded separately and ratios divide sums, never average
ratios. Roll-ups are computed from the raw series (``increase`` over the roll-up window), so a
roll-up is exact even when a 5-minute evaluation was missed.
"""

from __future__ import annotations

from typing import Any

from prometheus import recording as r
from prometheus import selfmetrics as m
from prometheus.knobs import Knobs, seconds
from prometheus.labels import (
    CHECK_KIND,
    CHECK_NAME,
    DB_OPERATION,
    HEALTH_STATUS,
    JOB_STATUS,
    JOB_TYPE,
    ROUTE,
    STATUS_CODE,
)
from prometheus.promql import by, counted, num, selector, zero_if_absent
from signalpost.jobs.state import JobState
from signalpost.semconv import MetricSpec, db, health, http, jobs

__all__ = ["Rule", "Source", "recording_groups", "rollup_group"]

Rule = dict[str, Any]

SERVER_ERROR = f'{STATUS_CODE}=~"5.."'


def _count(spec: MetricSpec) -> str:
    return f"{spec.name}_count"


def _bucket(spec: MetricSpec) -> str:
    return f"{spec.name}_bucket"


class Source:
    """Raw-series expressions over one window: ``rate`` for 5m, ``increase`` otherwise.

    Every raw selector carries the knobs' ``selector`` matchers.
    """

    def __init__(self, knobs: Knobs, window: str) -> None:
        self.matchers = knobs.selector
        self.up = selector(m.UP, *knobs.selector)
        self.window = window
        self.fn = "rate" if window == "5m" else "increase"

    def select(self, metric: str, *matchers: str) -> str:
        """``metric{selector..., matchers...}``."""
        return selector(metric, *self.matchers, *matchers)

    def sum(self, labels: tuple[str, ...], metric: str, *matchers: str) -> str:
        """The summed rate or increase of a counter."""
        inner = self.select(metric, *matchers)
        return f"sum {by(labels)} ({self.fn}({inner}[{self.window}]))"

    def count(self, labels: tuple[str, ...], metric: str, *matchers: str) -> str:
        """Like :meth:`sum`, counting a series' first sample too (:func:`promql.counted`)."""
        inner = self.select(metric, *matchers)
        window = self.window
        return counted(self.fn, inner, window, seconds(window), labels, self.up)


def _quantiles(name: str, buckets: str, labels: tuple[str, ...]) -> list[Rule]:
    return [
        {
            "record": name,
            "expr": f"histogram_quantile({num(q)}, sum {by((*labels, 'le'))} ({buckets}))",
            "labels": {"quantile": num(q)},
        }
        for q in r.QUANTILES
    ]


def _family(knobs: Knobs, window: str) -> list[Rule]:
    """The rules of one window: names from :mod:`prometheus.recording`, rolled up if not 5m."""
    src = Source(knobs, window)
    svc = knobs.service_label

    def name(base: str) -> str:
        return base if window == "5m" else r.rollup(base, window)

    http_l = (svc, ROUTE)
    job_l = (svc, JOB_TYPE)
    db_l = (svc, DB_OPERATION)
    requests = src.count(http_l, _count(http.REQUEST_DURATION))
    finished_all = f"sum {by(job_l)} ({name(r.JOB_FINISHED)})"
    succeeded = f'sum {by(job_l)} ({name(r.JOB_FINISHED)}{{{JOB_STATUS}="{JobState.SUCCEEDED}"}})'

    def status_max(labels: tuple[str, ...], spec: MetricSpec) -> str:
        inner = src.select(spec.name)
        if window != "5m":
            inner = f"max_over_time({inner}[{window}])"
        return f"max {by(labels)} ({inner})"

    rules: list[Rule] = [
        {"record": name(r.HTTP_REQUESTS), "expr": requests},
        {
            "record": name(r.HTTP_ERRORS),
            "expr": zero_if_absent(
                src.count(http_l, _count(http.REQUEST_DURATION), SERVER_ERROR),
                name(r.HTTP_REQUESTS),
            ),
        },
        {
            "record": name(r.HTTP_ERROR_RATIO),
            "expr": f"{name(r.HTTP_ERRORS)} / {name(r.HTTP_REQUESTS)}",
        },
        {
            "record": name(r.HTTP_BUCKETS),
            "expr": src.sum((*http_l, "le"), _bucket(http.REQUEST_DURATION)),
        },
        *_quantiles(name(r.HTTP_LATENCY), name(r.HTTP_BUCKETS), http_l),
        {
            "record": name(r.JOB_STARTED),
            "expr": src.count(job_l, jobs.RUNS_STARTED.exposition_name),
        },
        {
            "record": name(r.JOB_FINISHED),
            "expr": src.count((*job_l, JOB_STATUS), jobs.RUNS_FINISHED.exposition_name),
        },
        {
            "record": name(r.JOB_SUCCESS_RATIO),
            "expr": f"{zero_if_absent(succeeded, finished_all)} / {finished_all}",
        },
        {
            "record": name(r.JOB_DURATION_BUCKETS),
            "expr": src.sum((*job_l, "le"), _bucket(jobs.RUN_DURATION)),
        },
        *_quantiles(name(r.JOB_DURATION), name(r.JOB_DURATION_BUCKETS), job_l),
        {"record": name(r.JOB_ITEMS), "expr": src.sum(job_l, jobs.ITEMS_PROCESSED.exposition_name)},
        {"record": name(r.DB_OPERATIONS), "expr": src.sum(db_l, _count(db.OPERATION_DURATION))},
        {
            "record": name(r.DB_BUCKETS),
            "expr": src.sum((*db_l, "le"), _bucket(db.OPERATION_DURATION)),
        },
        *_quantiles(name(r.DB_LATENCY), name(r.DB_BUCKETS), db_l),
        {
            "record": name(r.HEALTH_STATUS),
            "expr": status_max((svc, HEALTH_STATUS), health.HEALTH_STATUS),
        },
        {
            "record": name(r.HEALTH_CHECK_STATUS),
            "expr": status_max((svc, CHECK_NAME, CHECK_KIND, HEALTH_STATUS), health.CHECK_STATUS),
        },
    ]
    return rules


def recording_groups(knobs: Knobs) -> list[dict[str, Any]]:
    """The 5-minute recording rules (evaluated at Prometheus's global interval)."""
    return [{"name": "signalpost.recording", "rules": _family(knobs, "5m")}]


def rollup_group(knobs: Knobs, window: str, extra: list[Rule]) -> dict[str, Any]:
    """The hourly or daily roll-up group, evaluated once per ``window``."""
    return {
        "name": f"signalpost.rollup.{window}",
        "interval": window,
        "rules": [*_family(knobs, window), *extra],
    }
