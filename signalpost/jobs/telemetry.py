"""What a run emits: metrics, spans and log records, read from the run through
:class:`~signalpost.jobs.running.RunView`.

:class:`RunTelemetry` is what one run reports through, with the collaborators of its job type
(:class:`~signalpost.jobs.job_telemetry.JobTelemetry`, resolved once). The run decides (states,
retries, deadlines) and tells its telemetry what happened; the telemetry never changes the run.
Its parts: the attempts' events (:mod:`~signalpost.jobs.attempt_telemetry`) and the log and
error records (:mod:`~signalpost.jobs.records`). Every method is failsafe: a broken tracer,
registry or logger is noted on ``signalpost.internal`` and never changes what the job returns
or raises.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.trace import format_span_id, format_trace_id

from signalpost.errors.capture import exception_type_name
from signalpost.errors.classify import ErrorClass
from signalpost.failsafe import failsafe
from signalpost.jobs.attempt_telemetry import AttemptTelemetry
from signalpost.jobs.job_telemetry import JobTelemetry
from signalpost.jobs.records import progress_fields
from signalpost.jobs.running import RunView
from signalpost.jobs.spans import RunSpans, attribute_value
from signalpost.jobs.state import JobState
from signalpost.loggers import INTERNAL_LOGGER_NAME, JOB_LOGGER_NAME
from signalpost.semconv import jobs as sc

__all__ = [
    "INTERNAL_LOGGER_NAME",
    "JOB_LOGGER_NAME",
    "JobTelemetry",
    "RunTelemetry",
    "progress_fields",
]

# One shared guard per kind: entering one allocates nothing on the run's path.
_GUARDS = {
    name: failsafe(name)
    for name in (
        "add_context",
        "context detach",
        "oldest progress gauge",
        "oldest run gauges",
        "run metrics",
        "run span",
        "run span end",
        "run span status",
        "run start metrics",
    )
}

_INFO, _WARNING = logging.INFO, logging.WARNING
_PUBLISH_INTERVAL = 1.0  # least seconds between two updates of the oldest-progress gauge


class RunTelemetry(AttemptTelemetry):
    """The metrics, spans and log records of one run.

    The run passes itself (as a :class:`RunView`) to each event rather than being stored
    here: no reference cycle, so a finished run is freed at once, not by the cycle collector.
    """

    __slots__ = (
        "_emitted_first",
        "_emitted_full",
        "_interval",
        "_items",
        "_last_emit",
        "_non_finite_logged",
        "_published",
    )

    def __init__(self, job: JobTelemetry, job_type: str, job_id: str) -> None:
        self._job = job
        self._spans = RunSpans(job.tracer, job_type, job_id)
        self._tm = None
        self._items: Any = None
        self._interval = job.progress_interval
        self._last_emit = self._published = 0.0
        self._emitted_first = self._emitted_full = False
        self._non_finite_logged = False
        self.label_type = job_type
        """The ``job_type`` label value (the job type, or ``_other`` past the cap)."""

    # ----------------------------------------------------------------- reading

    @property
    def trace_id(self) -> str | None:
        """The run span's trace ID as 32 hex digits, or ``None`` when not traced."""
        ctx = self._spans.run.get_span_context()
        return format_trace_id(ctx.trace_id) if ctx.is_valid else None

    @property
    def span_id(self) -> str | None:
        """The run span's ID as 16 hex digits, or ``None`` when not traced."""
        ctx = self._spans.run.get_span_context()
        return format_span_id(ctx.span_id) if ctx.is_valid else None

    def context_attributes(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """``values`` scrubbed, as ``job.context.<key>`` attributes."""
        scrubbed = self._job.scrubber.scrub(dict(values))
        return {f"job.context.{key}": attribute_value(value) for key, value in scrubbed.items()}

    # ----------------------------------------------------------------- events

    def started(
        self,
        run: RunView,
        now: float,
        *,
        max_attempts: int,
        parent: otel_context.Context | None,
        remote_parent: bool,
        continued: bool = False,
    ) -> None:
        """The run started at ``now`` (monotonic): count it, open its span, log it.

        ``continued``: a queue re-delivered a run that started earlier (a retry the queue
        carries out); it is not counted as started again.
        """
        self._last_emit = self._published = now
        metrics = self._job.metrics
        with _GUARDS["run start metrics"]:
            if metrics is not None:
                self.label_type = metrics.job_types(run.job_type)
                self._tm = metrics.for_type(self.label_type)
                self._items = self._tm.items
                if not continued:
                    self._tm.started.inc()
                self._tm.in_progress.inc()
                metrics.publish_oldest(self.label_type, starting=run.started_at)
                if run.enqueued_at is not None:
                    metrics.waited(self.label_type, run.queue, run.started_at - run.enqueued_at)
        with _GUARDS["run span"]:
            self._spans.start_run(
                max_attempts=max_attempts,
                parent=parent,
                remote_parent=remote_parent,
                params=run.params,
                scrubber=self._job.scrubber,
            )
        self.log(run, _INFO, "job started", "started")

    def progress(self, run: RunView, delta: float, now: float) -> None:
        """The run reported progress (``delta`` more items done) at ``now`` (monotonic)."""
        if delta > 0 and self._items is not None:
            self._items.inc(delta)
        if now - self._published >= _PUBLISH_INTERVAL:
            self._published = now
            metrics = self._job.metrics
            if metrics is not None:
                with _GUARDS["oldest progress gauge"]:
                    metrics.publish_oldest(self.label_type)
        if now - self._last_emit >= self._interval or not self._emitted_first:
            # The run's first report marks where measurable work starts (its "0 %"),
            # whatever ``done`` it carries.
            self._emit_progress(run, now)
        elif not self._emitted_full:
            total = run.total
            if total is not None and (run.done or 0) >= total:
                self._emit_progress(run, now)

    def non_finite_progress(self, run: RunView, done: float, total: float | None) -> None:
        """The run reported a NaN or infinite value, which is ignored; logged once per run."""
        if self._non_finite_logged:
            return
        self._non_finite_logged = True
        self.log(
            run,
            _WARNING,
            "job progress ignored: done and total must be finite numbers",
            "progress_ignored",
            {sc.JOB_PROGRESS_DONE: repr(done), sc.JOB_PROGRESS_TOTAL: repr(total)},
        )

    def context_changed(self, context: Mapping[str, Any]) -> None:
        """The run's context attributes changed."""
        with _GUARDS["add_context"]:
            self._spans.set_context(context)

    def finished(
        self,
        run: RunView,
        status: JobState,
        exc: BaseException | None,
        error_class: ErrorClass | None,
        duration: float,
        timestamp: float,
    ) -> None:
        """The run ended in ``status`` after ``duration`` seconds, at Unix time ``timestamp``."""
        exc_type = exception_type_name(exc) if exc is not None else None
        metrics, tm = self._job.metrics, self._tm
        with _GUARDS["run metrics"]:
            if metrics is not None and tm is not None:
                tm.in_progress.dec()
                if status is JobState.SUCCEEDED:
                    tm.run_succeeded(duration, timestamp)
                else:
                    metrics.finished(
                        self.label_type,
                        str(status),
                        duration,
                        str(error_class) if error_class is not None else None,
                        exc_type,
                    )
        with _GUARDS["run span status"]:
            self._spans.finish_run(status, run.attempt, exc_type, error_class)
        fields: dict[str, object] = {sc.JOB_DURATION: duration}
        if status is JobState.SUCCEEDED:
            self.log(run, _INFO, "job succeeded", "succeeded", fields)
        elif status is JobState.CANCELLED:
            reason = run.cancel_reason
            if reason:
                fields[sc.JOB_CANCEL_REASON] = reason
            self.log(run, _WARNING, "job cancelled", "cancelled", fields)
        elif exc is not None:
            self._report_failure(run, status, exc, duration)
        with _GUARDS["run span end"]:
            self._spans.end_run()

    def left(self, run: RunView) -> None:
        """The run left the running-jobs list: update the oldest-run gauges."""
        metrics = self._job.metrics
        if metrics is not None and self._tm is not None:
            with _GUARDS["oldest run gauges"]:
                metrics.publish_oldest(self.label_type, ending=run.started_at)

    def detach(self) -> None:
        """Make the trace context current at the run's start current again."""
        with _GUARDS["context detach"]:
            self._spans.detach()

    # ----------------------------------------------------------------- records

    def _emit_progress(self, run: RunView, now: float) -> None:
        self._last_emit = now
        done, total = run.done or 0, run.total
        self._emitted_first = True
        if total is not None and done >= total:
            self._emitted_full = True
        fields = progress_fields(done, total, run.message)
        self._spans.progress(fields)
        self.log(run, _INFO, "job progress", "progress", fields)
