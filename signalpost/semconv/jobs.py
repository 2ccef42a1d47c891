"""Background-job metrics and attribute keys.

No OpenTelemetry semantic convention covers background jobs, so the names are Signalpost's
own, all under ``signalpost_job_`` (``signalpost.job.`` in OpenTelemetry). Labels are bounded:
job type (capped), final status, error class and exception type (capped), never a job ID.
"""

from __future__ import annotations

from signalpost.semconv import attributes as attr
from signalpost.semconv._spec import MetricSpec

__all__ = [
    "ALL_JOB_METRICS",
    "ATTEMPTS",
    "BACKLOG_METRICS",
    "DEFAULT_DURATION_BUCKETS",
    "DEFAULT_WAIT_BUCKETS",
    "FAILURES",
    "ITEMS_PROCESSED",
    "JOB_ATTEMPT",
    "JOB_CANCEL_REASON",
    "JOB_DURATION",
    "JOB_EVENT",
    "JOB_ID",
    "JOB_MAX_ATTEMPTS",
    "JOB_PARAMETERS",
    "JOB_PROGRESS_DONE",
    "JOB_PROGRESS_MESSAGE",
    "JOB_PROGRESS_RATIO",
    "JOB_PROGRESS_TOTAL",
    "JOB_QUEUE",
    "JOB_RETRY_DELAY",
    "JOB_STATUS",
    "JOB_TYPE",
    "LAST_SUCCESS",
    "OLDEST_PROGRESS",
    "OLDEST_RUNNING_START",
    "OLDEST_WAITING_AGE",
    "RETRIES",
    "RUNS_FINISHED",
    "RUNS_IN_PROGRESS",
    "RUNS_STARTED",
    "RUN_DURATION",
    "WAITING",
    "WAIT_DURATION",
]

# Attribute keys on spans and log records (and, translated, metric labels).
JOB_TYPE = "job.type"
JOB_ID = "job.id"
JOB_ATTEMPT = "job.attempt"
JOB_MAX_ATTEMPTS = "job.max_attempts"
JOB_STATUS = "job.status"
JOB_EVENT = "job.event"
JOB_PARAMETERS = "job.parameters"
JOB_PROGRESS_DONE = "job.progress.done"
JOB_PROGRESS_TOTAL = "job.progress.total"
JOB_PROGRESS_RATIO = "job.progress.ratio"
JOB_PROGRESS_MESSAGE = "job.progress.message"
JOB_RETRY_DELAY = "job.retry.delay"
"""Back-off before the next attempt, in seconds."""
JOB_DURATION = "job.duration"
"""A finished run's duration in seconds, on its last log line."""
JOB_CANCEL_REASON = "job.cancel.reason"
JOB_QUEUE = "job.queue"
"""The queue a job waited in (Celery's routing key, arq's queue name); empty if none."""

# Jobs last from sub-second to hours.
DEFAULT_DURATION_BUCKETS: tuple[float, ...] = (
    0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0,
    14400.0,
)

# Waits last from milliseconds (an idle worker) to hours (a backlog).
DEFAULT_WAIT_BUCKETS: tuple[float, ...] = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0,
    1800.0, 3600.0, 7200.0,
)

RUNS_STARTED = MetricSpec(
    name="signalpost_job_runs_started",
    kind="counter",
    unit="",
    help="Job runs started.",
    attributes=(JOB_TYPE,),
    otel_name="signalpost.job.runs.started",
    otel_unit="{run}",
)

RUNS_FINISHED = MetricSpec(
    name="signalpost_job_runs_finished",
    kind="counter",
    unit="",
    help="Job runs finished, by final status (succeeded, failed, cancelled, timed_out).",
    attributes=(JOB_TYPE, JOB_STATUS),
    otel_name="signalpost.job.runs.finished",
    otel_unit="{run}",
)

RUN_DURATION = MetricSpec(
    name="signalpost_job_run_duration_seconds",
    kind="histogram",
    unit="seconds",
    help="Duration of job runs from start to final status, retries and back-off included.",
    attributes=(JOB_TYPE, JOB_STATUS),
    otel_name="signalpost.job.run.duration",
    otel_unit="s",
    buckets=DEFAULT_DURATION_BUCKETS,
)

RUNS_IN_PROGRESS = MetricSpec(
    name="signalpost_job_runs_in_progress",
    kind="gauge",
    unit="",
    help="Job runs started and not yet finished.",
    attributes=(JOB_TYPE,),
    otel_name="signalpost.job.runs.in_progress",
    otel_unit="{run}",
    multiprocess_mode="livesum",
)

ATTEMPTS = MetricSpec(
    name="signalpost_job_attempts",
    kind="counter",
    unit="",
    help="Job attempts finished, by the error class of a failed attempt (empty if none).",
    attributes=(JOB_TYPE, attr.ERROR_CLASS),
    otel_name="signalpost.job.attempts",
    otel_unit="{attempt}",
)

RETRIES = MetricSpec(
    name="signalpost_job_retries",
    kind="counter",
    unit="",
    help="Job retries scheduled, by the error class of the failure that caused them.",
    attributes=(JOB_TYPE, attr.ERROR_CLASS),
    otel_name="signalpost.job.retries",
    otel_unit="{retry}",
)

FAILURES = MetricSpec(
    name="signalpost_job_failures",
    kind="counter",
    unit="",
    help="Job runs that ended failed or timed out, by error class and exception type.",
    attributes=(JOB_TYPE, attr.ERROR_CLASS, attr.EXCEPTION_TYPE),
    otel_name="signalpost.job.failures",
    otel_unit="{run}",
)

ITEMS_PROCESSED = MetricSpec(
    name="signalpost_job_items_processed",
    kind="counter",
    unit="",
    help="Work items reported done through job progress (the increase of 'done').",
    attributes=(JOB_TYPE,),
    otel_name="signalpost.job.items.processed",
    otel_unit="{item}",
)

LAST_SUCCESS = MetricSpec(
    name="signalpost_job_last_success_timestamp_seconds",
    kind="gauge",
    unit="seconds",
    help="Unix time at which a run of the job type last succeeded.",
    attributes=(JOB_TYPE,),
    otel_name="signalpost.job.last_success.timestamp",
    otel_unit="s",
    multiprocess_mode="max",
)

OLDEST_RUNNING_START = MetricSpec(
    name="signalpost_job_oldest_running_start_timestamp_seconds",
    kind="gauge",
    unit="seconds",
    help=(
        "Unix time at which the oldest running run of the job type started (+Inf when none "
        "runs); the age is time() minus this. The minimum over live processes."
    ),
    attributes=(JOB_TYPE,),
    otel_name="signalpost.job.oldest_running.start.timestamp",
    otel_unit="s",
    multiprocess_mode="livemin",
)

OLDEST_PROGRESS = MetricSpec(
    name="signalpost_job_oldest_progress_timestamp_seconds",
    kind="gauge",
    unit="seconds",
    help=(
        "Unix time of the least recent progress report among running runs of the job type "
        "(the start counts as progress; +Inf when none runs); the time since progress is "
        "time() minus this. The minimum over live processes."
    ),
    attributes=(JOB_TYPE,),
    otel_name="signalpost.job.oldest_progress.timestamp",
    otel_unit="s",
    multiprocess_mode="livemin",
)

WAIT_DURATION = MetricSpec(
    name="signalpost_job_wait_duration_seconds",
    kind="histogram",
    unit="seconds",
    help=(
        "Time a job waited before a run started: from its enqueue, or for a retry the queue "
        "carries out from the time the retry was due, to the start (recorded at the start)."
    ),
    attributes=(JOB_TYPE, JOB_QUEUE),
    otel_name="signalpost.job.wait.duration",
    otel_unit="s",
    buckets=DEFAULT_WAIT_BUCKETS,
)

WAITING = MetricSpec(
    name="signalpost_job_waiting",
    kind="gauge",
    unit="",
    help="Jobs waiting in the queue now (due and not started), read from the broker or table.",
    attributes=(JOB_TYPE, JOB_QUEUE),
    otel_name="signalpost.job.waiting",
    otel_unit="{job}",
    multiprocess_mode="max",
)

OLDEST_WAITING_AGE = MetricSpec(
    name="signalpost_job_oldest_waiting_age_seconds",
    kind="gauge",
    unit="seconds",
    help=(
        "Age of the oldest waiting job: seconds since it was enqueued (or became due); 0 when "
        "none waits. Read from the broker or table at scrape time."
    ),
    attributes=(JOB_TYPE, JOB_QUEUE),
    otel_name="signalpost.job.oldest_waiting.age",
    otel_unit="s",
    multiprocess_mode="max",
)

BACKLOG_METRICS: tuple[MetricSpec, ...] = (WAITING, OLDEST_WAITING_AGE)
"""The backlog gauges: read from the queue at scrape time by a backlog collector
(:mod:`signalpost.jobs.backlog`), never set by the runs."""

ALL_JOB_METRICS: tuple[MetricSpec, ...] = (
    RUNS_STARTED,
    RUNS_FINISHED,
    RUN_DURATION,
    RUNS_IN_PROGRESS,
    ATTEMPTS,
    RETRIES,
    FAILURES,
    ITEMS_PROCESSED,
    LAST_SUCCESS,
    OLDEST_RUNNING_START,
    OLDEST_PROGRESS,
    WAIT_DURATION,
)
