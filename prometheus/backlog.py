"""Alerts on jobs waiting before a run starts (the backlog gauges and the run counters).

A separate group, ``signalpost.backlog``: the oldest waiting job older than its job type's
expectation, a backlog that keeps growing while runs finish (the workers cannot keep up), and
work waiting while no run of its type starts (no worker consumes). The backlog gauges may be
reported by several processes (the web app and a worker reading the same queue): they are
combined with ``max``, never summed.
"""

from __future__ import annotations

from typing import Any

from prometheus.alerting import Dashboard, ServiceAlerts
from prometheus.catalog import Alert, Severity
from prometheus.job_alerts import job_type_thresholds
from prometheus.knobs import Knobs
from prometheus.labels import JOB_QUEUE, JOB_TYPE
from prometheus.promql import by, ne, selector
from signalpost.jobs.backlog import UNSCANNED
from signalpost.semconv import jobs

__all__ = ["backlog_group"]

Rule = dict[str, Any]

# An empty label is no label: a queue of its own (the demo's table) has no name to print.
IN_QUEUE = f"{{{{ if $labels.{JOB_QUEUE} }}}} in queue '{{{{ $labels.{JOB_QUEUE} }}}}'{{{{ end }}}}"


def _jobs_alert(k: Knobs) -> ServiceAlerts:
    return ServiceAlerts(k, Dashboard.JOBS, (JOB_TYPE,))


def _waiting(k: Knobs) -> str:
    # Messages counted but not read (past the scan) have no job type to alert on.
    return selector(jobs.WAITING.name, *k.selector, ne(JOB_TYPE, UNSCANNED))


def _waiting_too_long(k: Knobs) -> list[Rule]:
    svc = k.service_label
    sel = k.selector
    labels = (svc, JOB_TYPE, JOB_QUEUE)
    age = jobs.OLDEST_WAITING_AGE.name
    expr = job_type_thresholds(
        {jt: t.max_wait for jt, t in k.job_types.items() if t.max_wait},
        k.alerts.job_waiting_too_long.max_wait,
        lambda matchers, limit: f"max {by(labels)} ({selector(age, *sel, *matchers)}) > {limit}",
        skip=(UNSCANNED,),
    )
    return [_jobs_alert(k)(
        Alert.JOB_WAITING_TOO_LONG,
        for_=k.alerts.job_waiting_too_long.for_,
        expr=expr,
        summary=f"{{{{ $labels.{JOB_TYPE} }}}} jobs wait too long",
        description=(
            f"The oldest {{{{ $labels.{JOB_TYPE} }}}} job waiting{IN_QUEUE} has waited "
            "{{ $value | humanizeDuration }} for a run to start."
        ),
    )]


def _growing(k: Knobs) -> list[Rule]:
    svc = k.service_label
    sel = k.selector
    g = k.alerts.job_backlog_growing
    labels = (svc, JOB_TYPE, JOB_QUEUE)
    waiting = _waiting(k)
    finished = selector(jobs.RUNS_FINISHED.exposition_name, *sel)
    grew = f"max {by(labels)} (delta({waiting}[{g.window}])) > 0"
    completing = (
        f"sum {by((svc, JOB_TYPE))} (increase({finished}[{g.window}])) > 0"
    )
    return [_jobs_alert(k)(
        Alert.JOB_BACKLOG_GROWING,
        for_=g.for_,
        expr=f"({grew}) and on ({svc}, {JOB_TYPE}) ({completing})",
        summary=(
            f"{{{{ $labels.{JOB_TYPE} }}}} backlog keeps growing"
        ),
        description=(
            f"{{{{ $labels.{JOB_TYPE} }}}} jobs waiting{IN_QUEUE} grew by "
            f"{{{{ $value | humanize }}}} over the last {g.window}, for {g.for_}, while "
            "runs of the type kept finishing: the workers cannot keep up."
        ),
    )]


def _stalled(k: Knobs) -> list[Rule]:
    svc = k.service_label
    sel = k.selector
    s = k.alerts.job_queue_stalled
    labels = (svc, JOB_TYPE, JOB_QUEUE)
    per_type = (svc, JOB_TYPE)
    waiting = _waiting(k)
    # A run started, or an attempt of a run continued by the queue (a retry) ended.
    started = selector(jobs.RUNS_STARTED.exposition_name, *sel)
    attempts = selector(jobs.ATTEMPTS.exposition_name, *sel)
    consumed = " or ".join(
        f"sum {by(per_type)} (increase({m}[{s.window}])) > 0" for m in (started, attempts)
    )
    # Work waits and nothing runs it: a job type's hard outage, which pages (paging policy).
    return [_jobs_alert(k)(
        Alert.JOB_QUEUE_STALLED,
        severity=Severity.CRITICAL,
        for_=s.for_,
        expr=f"max {by(labels)} ({waiting}) > 0 unless on ({svc}, {JOB_TYPE}) ({consumed})",
        summary=(
            f"{{{{ $labels.{JOB_TYPE} }}}} jobs wait and none runs"
        ),
        description=(
            f"{{{{ $value | humanize }}}} {{{{ $labels.{JOB_TYPE} }}}} jobs wait{IN_QUEUE} and "
            f"no run of the type has started for {s.window}: no worker consumes them."
        ),
    )]


def backlog_group(knobs: Knobs) -> dict[str, Any]:
    """The ``signalpost.backlog`` alert group."""
    return {
        "name": "signalpost.backlog",
        "rules": [*_waiting_too_long(knobs), *_growing(knobs), *_stalled(knobs)],
    }
