"""Jobs: runs by status, success ratio, durations, running and stuck runs, retries, recency,
throughput, and a table of runs from the job log records in Loki.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db

from grafana import panels as p
from grafana import queries as q
from grafana.boards.common import Uid, instance_variable, label_variable, new_dashboard, runbook
from grafana.boards.jobs_waiting import waiting_row
from grafana.boards.thresholds import alert_threshold_panel
from prometheus import recording as rec
from prometheus.catalog import Alert
from prometheus.knobs import Knobs, seconds
from signalpost.semconv import MetricSpec, jobs
from signalpost.semconv import attributes as attr

__all__ = ["build"]

TYPES = q.sel(f'{q.JOB_TYPE}=~"$job_type"')
# Raw series keep the instance label (recordings aggregate it away): filtered on $instance.
RAW_TYPES = q.sel(f'{q.JOB_TYPE}=~"$job_type"', q.INSTANCES)
BY_TYPE = f"{{{{{q.JOB_TYPE}}}}}"


def _run_columns() -> list[str]:
    return [
        q.field(key)
        for key in (
            jobs.JOB_TYPE,
            jobs.JOB_STATUS,
            jobs.JOB_EVENT,
            jobs.JOB_ATTEMPT,
            jobs.JOB_PROGRESS_DONE,
            jobs.JOB_PROGRESS_TOTAL,
            jobs.JOB_PROGRESS_RATIO,
            attr.TRACE_ID,
        )
    ]


def build(knobs: Knobs) -> db.Dashboard:
    """The Jobs dashboard."""
    stuck = seconds(knobs.alerts.job_stuck.no_progress_after)
    dash = new_dashboard(
        Uid.JOBS,
        "Signalpost / Jobs",
        "Background job runs per type: outcomes, durations, stuck runs, retries and recency.",
        knobs,
    ).with_variable(label_variable("job_type", rec.JOB_STARTED))
    dash = dash.with_variable(instance_variable(q.name(jobs.RUNS_IN_PROGRESS)))
    dash = dash.with_row(db.Row("Runs"))
    dash = dash.with_panel(
        p.timeseries_panel(
            "Runs started per type",
            "Runs started per second, per job type (5-minute rate, recording rule).",
            "ops",
            [p.prom(f"sum by ({q.JOB_TYPE}) ({rec.JOB_STARTED}{TYPES})", BY_TYPE)],
            span=8,
        )
    )
    dash = dash.with_panel(
        p.timeseries_panel(
            "Runs finished by status",
            "Runs finished per second, per job type and final status.",
            "ops",
            [
                p.prom(
                    f"sum by ({q.JOB_TYPE}, {q.JOB_STATUS}) ({rec.JOB_FINISHED}{TYPES})",
                    f"{BY_TYPE} {{{{{q.JOB_STATUS}}}}}",
                )
            ],
            stacked=True,
            span=8,
        )
    )
    ratio = knobs.alerts.job_failure_ratio_high.threshold
    dash = dash.with_panel(
        p.timeseries_panel(
            "Success ratio",
            f"Succeeded share of finished runs per job type. Red below {1 - ratio:g}, where "
            "JobFailureRatioHigh's failure threshold starts.",
            "percentunit",
            [p.prom(f"min by ({q.JOB_TYPE}) ({rec.JOB_SUCCESS_RATIO}{TYPES})", BY_TYPE)],
            steps=[(None, p.RED), (1 - ratio, p.GREEN)],
            show_thresholds=True,
            min_value=0,
            max_value=1,
            span=8,
            links=[runbook(knobs, Alert.JOB_FAILURE_RATIO_HIGH), runbook(knobs, Alert.JOB_FAILED)],
        )
    )
    dash = dash.with_panel(
        p.timeseries_panel(
            "Run duration (p50, p90, p99)",
            "Run duration quantiles per job type, retries and back-off included.",
            "s",
            [
                p.prom(
                    f"max by ({q.JOB_TYPE}, quantile) ({rec.JOB_DURATION}{TYPES})",
                    f"{BY_TYPE} p{{{{quantile}}}}",
                )
            ],
        )
    )
    dash = dash.with_panel(
        p.timeseries_panel(
            "Running now",
            "Runs started and not yet finished, per job type and instance (the selected "
            "instances).",
            "short",
            [
                p.prom(
                    f"sum by ({q.JOB_TYPE}, {q.INSTANCE}) "
                    f"({q.name(jobs.RUNS_IN_PROGRESS)}{RAW_TYPES})",
                    f"{BY_TYPE} {{{{{q.INSTANCE}}}}}",
                )
            ],
        )
    )
    dash = waiting_row(dash, knobs)
    dash = dash.with_row(db.Row("Stuck and late"))

    def age(timestamp: MetricSpec) -> str:
        # The runs publish Unix times (+Inf when none runs, which clamps to 0).
        return f"clamp_min(time() - min by ({q.JOB_TYPE}) ({q.name(timestamp)}{RAW_TYPES}), 0)"

    per_type = [
        (name, [(None, p.GREEN), (seconds(knobs.no_progress_after(name)), p.RED)])
        for name in knobs.job_types
    ]
    dash = dash.with_panel(
        p.timeseries_panel(
            "Oldest running run",
            "Age of the oldest running run per job type, over the selected instances (0: none "
            "runs).",
            "s",
            [p.prom(age(jobs.OLDEST_RUNNING_START), BY_TYPE)],
            span=8,
        )
    )
    dash = dash.with_panel(
        p.timeseries_panel(
            "Time since last progress",
            "Longest time since a running run last reported progress, per job type. Red from "
            "JobStuck's threshold (each type's own where the knobs set one).",
            "s",
            [p.prom(age(jobs.OLDEST_PROGRESS), BY_TYPE)],
            steps=[(None, p.GREEN), (stuck, p.RED)],
            show_thresholds=True,
            overrides=per_type,
            span=8,
            links=[runbook(knobs, Alert.JOB_STUCK)],
        )
    )
    expectations = [
        (name, [(None, p.GREEN), (seconds(job.succeed_every), p.RED)])
        for name, job in knobs.job_types.items()
        if job.succeed_every is not None
    ]
    dash = dash.with_panel(
        p.timeseries_panel(
            "Time since last success",
            "Seconds since a run of each job type last succeeded. Red from the type's expected "
            "success interval (JobNotSucceeded).",
            "s",
            [
                p.prom(
                    f"time() - max by ({q.JOB_TYPE}) ({q.name(jobs.LAST_SUCCESS)}{RAW_TYPES})",
                    BY_TYPE,
                )
            ],
            overrides=expectations,
            span=8,
            links=[runbook(knobs, Alert.JOB_NOT_SUCCEEDED)],
        )
    )
    storm = knobs.alerts.job_retry_storm
    dash = dash.with_row(db.Row("Retries and throughput"))
    dash = dash.with_panel(
        alert_threshold_panel(
            knobs,
            Alert.JOB_RETRY_STORM,
            "Retries by error class",
            f"Retries scheduled per second, per job type and error class. Red from "
            f"JobRetryStorm's {storm.threshold:g}/s per job type.",
            "ops",
            [
                p.prom(
                    f"sum by ({q.JOB_TYPE}, {q.ERROR_CLASS}) "
                    f"(rate({q.total(jobs.RETRIES)}{RAW_TYPES}[{q.RATE}]))",
                    f"{BY_TYPE} {{{{{q.ERROR_CLASS}}}}}",
                )
            ],
            threshold=storm.threshold,
        )
    )
    dash = dash.with_panel(
        p.timeseries_panel(
            "Items processed per second",
            "Work items reported done through job progress, per job type.",
            "short",
            [p.prom(f"sum by ({q.JOB_TYPE}) ({rec.JOB_ITEMS}{TYPES})", BY_TYPE)],
        )
    )
    job_id = q.field(jobs.JOB_ID)
    columns = _run_columns()
    dash = dash.with_row(db.Row("Runs from the logs"))
    dash = dash.with_panel(
        p.table_panel(
            "Running and recent runs",
            "One row per job ID from the job log records in Loki: its type, latest state and "
            "event, attempt and progress (done/total, ratio); the trace ID opens the run's trace.",
            "none",
            [
                p.logql(
                    f'{q.STREAM} | {q.field(jobs.JOB_EVENT)} != "" | '
                    f'{q.field(jobs.JOB_TYPE)} =~ "$job_type"'
                )
            ],
            transformations=[
                ("extractFields", {"source": "labels", "replace": False, "keepTime": True}),
                (
                    "groupBy",
                    {
                        "fields": {
                            job_id: {"operation": "groupby"},
                            "Time": {"operation": "aggregate", "aggregations": ["max"]},
                            **{
                                column: {"operation": "aggregate", "aggregations": ["lastNotNull"]}
                                for column in columns
                            },
                        }
                    },
                ),
                ("sortBy", {"sort": [{"field": "Time (max)", "desc": True}]}),
            ],
            column_links=[
                (f"{q.field(attr.TRACE_ID)} (lastNotNull)", "Open the run's trace", p.trace_link()),
                (
                    job_id,
                    "Look this run up",
                    f"/d/{Uid.LOOKUP}?var-service=${{service}}&var-job_id=${{__value.raw}}",
                ),
            ],
            height=10,
        )
    )
    return dash
