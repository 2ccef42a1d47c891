"""The log records of a run: lifecycle events on ``signalpost.jobs`` and the failure record.

Every record carries the run's ID, type, attempt, state and context as flat ``extra``
attributes; a failed or timed-out run is reported through the shared ``ErrorReporter``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from signalpost.instrumentation.jobs.deps import internal_error
from signalpost.instrumentation.jobs.state import JobState
from signalpost.instrumentation.semconv import jobs as sc
from signalpost.instrumentation.semconv.errors import SOURCE_JOB

if TYPE_CHECKING:
    from signalpost.instrumentation.jobs.run import JobRun

__all__ = ["log_event", "progress_fields", "report_failure"]

_SRC = "signalpost.jobs"  # record.pathname: the caller's frame would be this package anyway


def log_event(
    run: JobRun, level: int, message: str, event: str, fields: Mapping[str, Any] | None = None
) -> None:
    """Log ``event`` of ``run`` on the jobs logger, if enabled at ``level``. Never raises."""
    try:
        logger = run._deps.logger
        if not logger.isEnabledFor(level):
            return
        extra: dict[str, Any] = {
            sc.JOB_ID: run.job_id,
            sc.JOB_TYPE: run.job_type,
            sc.JOB_ATTEMPT: run.attempt,
            sc.JOB_STATUS: str(run.state),
            sc.JOB_EVENT: event,
            **run._context,
        }
        if fields:
            extra.update(fields)
        # makeRecord + handle is logger.log without the frame walk of findCaller, whose
        # answer would be this package anyway; handlers and filters run as usual.
        logger.handle(
            logger.makeRecord(logger.name, level, _SRC, 0, message, (), None, "job", extra)
        )
    except Exception:
        internal_error(f"log {event}")


def progress_fields(done: float, total: float | None, message: str | None) -> dict[str, Any]:
    """The attributes of a progress log record and span event."""
    fields: dict[str, Any] = {sc.JOB_PROGRESS_DONE: done}
    if total is not None:
        fields[sc.JOB_PROGRESS_TOTAL] = total
        if total > 0:
            fields[sc.JOB_PROGRESS_RATIO] = min(1.0, done / total)
    if message is not None:
        fields[sc.JOB_PROGRESS_MESSAGE] = message
    return fields


def report_failure(run: JobRun, status: JobState, exc: BaseException, duration: float) -> None:
    """Report a failed or timed-out run as the shared error record (it logs with exc_info)."""
    reporter = run._deps.reporter
    if reporter is None:
        return
    event = "failed" if status is JobState.FAILED else "timed_out"
    context: dict[str, Any] = {
        sc.JOB_TYPE: run.job_type,
        sc.JOB_ID: run.job_id,
        sc.JOB_ATTEMPT: run.attempt,
        sc.JOB_STATUS: str(status),
        sc.JOB_EVENT: event,
        "job.duration": duration,
        **run._context,
    }
    if run.params:
        context[sc.JOB_PARAMETERS] = dict(run.params)
    label = "failed" if status is JobState.FAILED else "timed out"
    try:  # the reporter scrubs the parameters
        reporter.report(
            exc, source=SOURCE_JOB, context=context, message=f"job {label}: {run.job_type}"
        )
    except Exception:
        internal_error("error report")
