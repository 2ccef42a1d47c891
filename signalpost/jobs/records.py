"""The log records and error records of a run: the part of
:class:`~signalpost.jobs.telemetry.RunTelemetry` that writes them (:class:`RunRecords`), and
the attributes of a progress report (:func:`progress_fields`).

Every method is failsafe: a broken logger or error reporter is noted on
``signalpost.internal`` and never changes what the job returns or raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from signalpost.failsafe import failsafe, note_failure
from signalpost.jobs.job_telemetry import JobTelemetry
from signalpost.jobs.running import RunView
from signalpost.jobs.state import JobState
from signalpost.semconv import jobs as sc
from signalpost.semconv.errors import SOURCE_JOB

__all__ = ["RunRecords", "progress_fields"]

_LOG_GUARD = failsafe("job log record")
_SRC = "signalpost.jobs"  # record.pathname: the caller's frame would be this package anyway


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


class RunRecords:
    """Log and error records of one run, the base of
    :class:`~signalpost.jobs.telemetry.RunTelemetry` (which sets ``_job``)."""

    __slots__ = ("_job",)

    _job: JobTelemetry

    def log(
        self,
        run: RunView,
        level: int,
        message: str,
        event: str,
        fields: Mapping[str, Any] | None = None,
    ) -> None:
        """Log ``event`` of ``run`` on the jobs logger, if enabled at ``level``. Never raises."""
        with _LOG_GUARD:
            logger = self._job.logger
            if not logger.isEnabledFor(level):
                return
            extra: dict[str, Any] = {
                sc.JOB_ID: run.job_id,
                sc.JOB_TYPE: run.job_type,
                sc.JOB_ATTEMPT: run.attempt,
                sc.JOB_STATUS: str(run.state),
                sc.JOB_EVENT: event,
                **run.context,
            }
            if fields:
                extra.update(fields)
            # makeRecord + handle is logger.log without the frame walk of findCaller, whose
            # answer would be this package anyway; handlers and filters run as usual.
            logger.handle(
                logger.makeRecord(logger.name, level, _SRC, 0, message, (), None, "job", extra)
            )

    def _report_failure(
        self, run: RunView, status: JobState, exc: BaseException, duration: float
    ) -> None:
        """Report a failed or timed-out run as the shared error record (logged with exc_info)."""
        reporter = self._job.reporter
        if reporter is None:
            return
        event = "failed" if status is JobState.FAILED else "timed_out"
        context: dict[str, Any] = {
            sc.JOB_TYPE: run.job_type,
            sc.JOB_ID: run.job_id,
            sc.JOB_ATTEMPT: run.attempt,
            sc.JOB_STATUS: str(status),
            sc.JOB_EVENT: event,
            sc.JOB_DURATION: duration,
            **run.context,
        }
        if run.params:
            context[sc.JOB_PARAMETERS] = dict(run.params)
        label = "failed" if status is JobState.FAILED else "timed out"
        try:  # the reporter scrubs the parameters
            reporter.report(
                exc, source=SOURCE_JOB, context=context, message=f"job {label}: {run.job_type}"
            )
        except Exception as failure:
            note_failure("error report", failure)
