"""What a run emits: metrics, spans and log records, read from the run through
:class:`~signalpost.jobs.running.RunView`.

:class:`JobTelemetry` holds the collaborators of one job type (tracer, metrics, error
reporter, logger, scrubber), resolved once; :class:`RunTelemetry` is what one run reports
through. The run decides (states, retries, deadlines) and tells its telemetry what happened;
the telemetry never changes the run. Every method is failsafe: a broken tracer, registry or
logger is noted on ``signalpost.internal`` and never changes what the job returns or raises.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Tracer, format_span_id, format_trace_id

from signalpost.errors.capture import ErrorReporter, exception_type_name
from signalpost.errors.classify import ErrorClass
from signalpost.errors.scrub import Scrubber
from signalpost.failsafe import failsafe, note_failure
from signalpost.jobs.metrics import JobMetrics, TypeMetrics
from signalpost.jobs.running import RunView
from signalpost.jobs.spans import RunSpans, attribute_value
from signalpost.jobs.state import JobState
from signalpost.loggers import INTERNAL_LOGGER_NAME, JOB_LOGGER_NAME
from signalpost.runtime import Runtime
from signalpost.semconv import attributes as attr
from signalpost.semconv import jobs as sc
from signalpost.semconv.errors import SOURCE_JOB

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
        "attempt metrics",
        "attempt span",
        "attempt span end",
        "context detach",
        "error reporter set-up",
        "job log record",
        "oldest progress gauge",
        "oldest run gauges",
        "retry metrics",
        "retry span",
        "retry telemetry",
        "run metrics",
        "run span",
        "run span end",
        "run span status",
        "run start metrics",
    )
}

_TRACER_NAME = "signalpost.jobs"
_SRC = "signalpost.jobs"  # record.pathname: the caller's frame would be this package anyway
_INFO, _WARNING = logging.INFO, logging.WARNING
_PUBLISH_INTERVAL = 1.0  # least seconds between two updates of the oldest-progress gauge


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


@dataclass(frozen=True, slots=True)
class JobTelemetry:
    """The collaborators of one job type. ``metrics`` or ``reporter`` is ``None`` if unusable."""

    tracer: Tracer
    metrics: JobMetrics | None
    reporter: ErrorReporter | None
    logger: logging.Logger
    scrubber: Scrubber
    progress_interval: float

    @classmethod
    def resolve(
        cls,
        shared: Runtime,
        *,
        reporter: ErrorReporter | None,
        logger: logging.Logger | None,
        progress_interval: float,
    ) -> JobTelemetry:
        """Build the collaborators from ``shared``, falling back to no-ops for any part that
        fails to set up."""
        job_logger = logger or logging.getLogger(JOB_LOGGER_NAME)
        registry, scrubber = shared.registry, shared.scrubber
        try:
            tracer = trace.get_tracer(_TRACER_NAME, tracer_provider=shared.tracer_provider)
        except Exception as failure:
            note_failure("tracer set-up", failure)
            tracer = trace.NoOpTracer()
        job_metrics: JobMetrics | None
        try:
            job_metrics = JobMetrics.for_registry(registry)
            job_metrics.watch(shared.running)
        except Exception as failure:
            note_failure("metrics set-up", failure)
            job_metrics = None
        if reporter is None:
            with _GUARDS["error reporter set-up"]:
                reporter = ErrorReporter(
                    registry=registry,
                    classifier=shared.classifier,
                    scrubber=scrubber,
                    logger=job_logger,
                    clock=shared.clock,
                    max_exception_types=shared.max_exception_types,
                )
        return cls(tracer, job_metrics, reporter, job_logger, scrubber, progress_interval)

    def for_run(self, job_type: str, job_id: str) -> RunTelemetry:
        """Return the telemetry of one run (not started yet)."""
        return RunTelemetry(self, job_type, job_id)


class RunTelemetry:
    """The metrics, spans and log records of one run.

    The run passes itself (as a :class:`RunView`) to each event rather than being stored
    here: no reference cycle, so a finished run is freed at once, not by the cycle collector.
    """

    __slots__ = (
        "_emitted_first",
        "_emitted_full",
        "_interval",
        "_items",
        "_job",
        "_last_emit",
        "_non_finite_logged",
        "_published",
        "_spans",
        "_tm",
        "label_type",
    )

    def __init__(self, job: JobTelemetry, job_type: str, job_id: str) -> None:
        self._job = job
        self._spans = RunSpans(job.tracer, job_type, job_id)
        self._tm: TypeMetrics | None = None
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

    def attempt_started(self, number: int, delay: float) -> None:
        """Attempt ``number`` (2 or more) started after ``delay`` seconds of back-off."""
        with _GUARDS["attempt span"]:
            self._spans.begin_attempt(number, delay)

    def retry_skipped(self, run: RunView, delay: float) -> None:
        """A retry was due but its back-off would pass the run's timeout."""
        self.log(
            run,
            _WARNING,
            "job retry skipped: back-off would pass the job timeout",
            "retry_skipped",
            {sc.JOB_RETRY_DELAY: delay},
        )

    def attempt_ended(
        self, exc: BaseException | None, error_class: ErrorClass | None, retried: bool
    ) -> None:
        """The attempt in progress ended with ``exc``; ``retried``: a retry follows."""
        with _GUARDS["attempt span end"]:
            self._spans.end_attempt(exc, error_class, retried)
        metrics = self._job.metrics
        with _GUARDS["attempt metrics"]:
            if error_class is None and self._tm is not None:
                self._tm.attempt_succeeded()
            elif metrics is not None:
                metrics.attempt_finished(
                    self.label_type, str(error_class) if error_class is not None else None
                )

    def retry_scheduled(
        self, run: RunView, delay: float, error_class: ErrorClass, exc: BaseException
    ) -> None:
        """The attempt in progress failed with ``exc``; the next starts after ``delay`` s."""
        with _GUARDS["retry telemetry"]:
            if self._job.metrics is not None:
                self._job.metrics.retry_scheduled(self.label_type, str(error_class))
            self._spans.retry_scheduled(run.attempt, delay, error_class, exc)
        self.log(
            run,
            _WARNING,
            "job retry scheduled",
            "retry_scheduled",
            {
                sc.JOB_RETRY_DELAY: delay,
                attr.ERROR_CLASS: str(error_class),
                attr.EXCEPTION_TYPE: exception_type_name(exc),
            },
        )

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

    def handed_off(
        self, run: RunView, delay: float, error_class: ErrorClass, exc: BaseException
    ) -> None:
        """The attempt in progress failed with ``exc`` and the queue will run the next one
        after ``delay`` seconds, perhaps in another process: this process's part ends here.

        The attempt and the retry are counted, the run span ends with the failure and
        ``job.status=retrying``; the run is not counted as finished.
        """
        metrics, tm = self._job.metrics, self._tm
        with _GUARDS["retry metrics"]:
            if metrics is not None:
                metrics.attempt_finished(self.label_type, str(error_class))
                metrics.retry_scheduled(self.label_type, str(error_class))
            if tm is not None:
                tm.in_progress.dec()
        with _GUARDS["retry span"]:
            self._spans.retry_scheduled(run.attempt, delay, error_class, exc)
            self._spans.hand_off(run.attempt, exc, error_class)
        self.log(
            run,
            _WARNING,
            "job retry scheduled",
            "retry_scheduled",
            {
                sc.JOB_RETRY_DELAY: delay,
                attr.ERROR_CLASS: str(error_class),
                attr.EXCEPTION_TYPE: exception_type_name(exc),
            },
        )
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

    def log(
        self,
        run: RunView,
        level: int,
        message: str,
        event: str,
        fields: Mapping[str, Any] | None = None,
    ) -> None:
        """Log ``event`` of ``run`` on the jobs logger, if enabled at ``level``. Never raises."""
        with _GUARDS["job log record"]:
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

    def _emit_progress(self, run: RunView, now: float) -> None:
        self._last_emit = now
        done, total = run.done or 0, run.total
        self._emitted_first = True
        if total is not None and done >= total:
            self._emitted_full = True
        fields = progress_fields(done, total, run.message)
        self._spans.progress(fields)
        self.log(run, _INFO, "job progress", "progress", fields)

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
