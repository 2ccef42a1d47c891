"""The "Jobs waiting" row of the Jobs dashboard: backlog and oldest wait per job type and
queue (read from the broker or queue table), and the wait before a run starts beside the run
durations above it.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db

from grafana import panels as p
from grafana import queries as q
from grafana.boards.common import runbook
from grafana.boards.thresholds import alert_threshold_panel
from prometheus.catalog import Alert
from prometheus.knobs import Knobs, seconds
from prometheus.labels import JOB_QUEUE
from signalpost.semconv import jobs

__all__ = ["waiting_row"]

TYPES = q.sel(f'{q.JOB_TYPE}=~"$job_type"')
BY_QUEUE = f"{{{{{q.JOB_TYPE}}}}} ({{{{{JOB_QUEUE}}}}})"


def waiting_row(dash: db.Dashboard, knobs: Knobs) -> db.Dashboard:
    """Add the row; the backlog gauges may come from several processes: ``max``, not ``sum``."""
    per_type = f"({q.JOB_TYPE}, {JOB_QUEUE})"
    default = seconds(knobs.alerts.job_waiting_too_long.max_wait)
    dash = dash.with_row(db.Row("Jobs waiting"))
    dash = dash.with_panel(
        p.timeseries_panel(
            "Jobs waiting",
            "Jobs due and not started, per job type and queue, read from the broker or queue "
            "table at each scrape (signalpost.celery.backlog, signalpost.arq.backlog or your "
            "own source). Growing while runs finish: JobBacklogGrowing; waiting while none "
            "starts: JobQueueStalled.",
            "short",
            [p.prom(f"max by {per_type} ({q.name(jobs.WAITING)}{TYPES})", BY_QUEUE)],
            span=8,
            links=[
                runbook(knobs, Alert.JOB_BACKLOG_GROWING),
                runbook(knobs, Alert.JOB_QUEUE_STALLED),
            ],
        )
    )
    dash = dash.with_panel(
        alert_threshold_panel(
            knobs,
            Alert.JOB_WAITING_TOO_LONG,
            "Oldest waiting job",
            "Age of the oldest waiting job per job type and queue (0: none waits). Red from "
            "JobWaitingTooLong's default max_wait (the knobs may set a type's own).",
            "s",
            [p.prom(f"max by {per_type} ({q.name(jobs.OLDEST_WAITING_AGE)}{TYPES})", BY_QUEUE)],
            threshold=default,
            span=8,
        )
    )
    buckets = f"rate({q.bucket(jobs.WAIT_DURATION)}{TYPES}[{q.RATE}])"
    dash = dash.with_panel(
        p.timeseries_panel(
            "Wait before start (p50, p90, p99)",
            "Time from enqueue (or a retry's due time) to the start of the run, per job type, "
            "beside the run duration above: a wait that grows while durations do not is "
            "missing capacity.",
            "s",
            [
                p.prom(
                    f"histogram_quantile({quantile}, sum by ({q.JOB_TYPE}, le) ({buckets}))",
                    f"{{{{{q.JOB_TYPE}}}}} p{int(quantile * 100)}",
                )
                for quantile in (0.5, 0.9, 0.99)
            ],
            span=8,
        )
    )
    return dash
