"""The spans of a run: the run span always, attempt spans only once the run is retried.

Attempt 1 runs under the run span (one span per run in the common case, which keeps a run
within its overhead budget). When attempt 1 fails and a retry is scheduled, attempt 1 gets
its child span after the fact, from the run's start to the failure; attempts 2..N get real
child spans, current while they run so that the job's own spans nest under them.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from contextvars import Token
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer

from signalpost.errors.capture import exception_type_name
from signalpost.errors.classify import ErrorClass
from signalpost.errors.scrub import Scrubber, default_scrubber
from signalpost.errors.spans import record_exception
from signalpost.jobs.state import JobState
from signalpost.semconv import attributes as attr
from signalpost.semconv import jobs as sc

__all__ = ["RunSpans", "attribute_value"]

_MAX_ATTRIBUTE_LEN = 256
_INVALID = trace.INVALID_SPAN


def attribute_value(value: Any) -> str | bool | int | float:
    """``value`` as a span attribute: primitives as they are, anything else as a short repr."""
    if isinstance(value, str | bool | int | float):
        return value
    text = repr(value)
    return text if len(text) <= _MAX_ATTRIBUTE_LEN else text[:_MAX_ATTRIBUTE_LEN] + "..."


class RunSpans:
    """The run span and the current attempt's span of one run; callers wrap every call in a
    failsafe."""

    __slots__ = (
        "_attempt_name",
        "_attempt_token",
        "_job_id",
        "_job_type",
        "_run_ctx",
        "_run_token",
        "_scrubber",
        "_started_ns",
        "_tracer",
        "attempt",
        "run",
    )

    def __init__(self, tracer: Tracer, job_type: str, job_id: str) -> None:
        self._tracer = tracer
        self._job_type = job_type
        self._job_id = job_id
        self._attempt_name = ""
        self._run_ctx: otel_context.Context | None = None
        self._run_token: Token[otel_context.Context] | None = None
        self._attempt_token: Token[otel_context.Context] | None = None
        self._started_ns = 0
        self._scrubber = default_scrubber
        self.run: Span = _INVALID
        """The run span (``INVALID_SPAN`` until started or when tracing failed)."""
        self.attempt: Span = _INVALID
        """Where the attempt in progress reports: the run span during attempt 1, nothing
        between attempts."""

    def start_run(
        self,
        *,
        max_attempts: int,
        parent: otel_context.Context | None,
        remote_parent: bool,
        params: Mapping[str, Any],
        scrubber: Scrubber,
    ) -> None:
        """Start the run span, make it current, and let attempt 1 report on it."""
        # One timestamp for the run span and, should the run be retried, attempt 1's span.
        self._started_ns = time.time_ns()
        span = self._tracer.start_span(
            f"job {self._job_type}",
            context=parent,
            kind=SpanKind.CONSUMER if remote_parent else SpanKind.INTERNAL,
            attributes={
                sc.JOB_TYPE: self._job_type,
                sc.JOB_ID: self._job_id,
                sc.JOB_MAX_ATTEMPTS: max_attempts,
            },
            start_time=self._started_ns,
        )
        self.run = self.attempt = span
        self._scrubber = scrubber
        if span.is_recording() and params:
            # One set_attribute per key: the SDK's set_attributes cleans the whole mapping
            # first, which costs more than it saves for a few keys.
            for key, value in scrubber.scrub(dict(params)).items():
                span.set_attribute(f"{sc.JOB_PARAMETERS}.{key}", attribute_value(value))
        self._run_ctx = trace.set_span_in_context(span)
        self._run_token = otel_context.attach(self._run_ctx)

    def begin_attempt(self, number: int, delay: float) -> None:
        """Start attempt ``number`` (2 or more) as a current child of the run span."""
        self._attempt_name = self._attempt_name or f"job {self._job_type} attempt"
        span = self._tracer.start_span(
            self._attempt_name,
            context=self._run_ctx,
            attributes={
                sc.JOB_TYPE: self._job_type,
                sc.JOB_ID: self._job_id,
                sc.JOB_ATTEMPT: number,
                sc.JOB_RETRY_DELAY: delay,
            },
        )
        self.attempt = span
        self._attempt_token = otel_context.attach(trace.set_span_in_context(span))

    def end_attempt(
        self, exc: BaseException | None, error_class: ErrorClass | None, retried: bool
    ) -> None:
        """Close the attempt in progress; ``retried``: a retry follows it."""
        span, self.attempt = self.attempt, _INVALID
        if span is self.run:  # attempt 1, run under the run span
            if exc is None or error_class is None:
                return
            if retried:  # the run goes beyond attempt 1: give attempt 1 its own span now
                self._attempt_one_span(exc, error_class)
            elif span.is_recording():
                record_exception(span, exc, self._scrubber)  # the run ends with this attempt
            return
        try:
            if span.is_recording() and exc is not None:
                if error_class is not None:
                    _fail(span, exc, error_class, self._scrubber)
                else:
                    span.set_attribute(sc.JOB_STATUS, str(JobState.CANCELLED))
        finally:
            token, self._attempt_token = self._attempt_token, None
            if token is not None:
                otel_context.detach(token)
            span.end()

    def _attempt_one_span(self, exc: BaseException, error_class: ErrorClass) -> None:
        self._attempt_name = self._attempt_name or f"job {self._job_type} attempt"
        span = self._tracer.start_span(
            self._attempt_name,
            context=self._run_ctx,
            attributes={sc.JOB_TYPE: self._job_type, sc.JOB_ID: self._job_id, sc.JOB_ATTEMPT: 1},
            start_time=self._started_ns,
        )
        if span.is_recording():
            _fail(span, exc, error_class, self._scrubber)
        span.end()

    def retry_scheduled(
        self, attempt: int, delay: float, error_class: ErrorClass, exc: BaseException
    ) -> None:
        """Put the scheduled retry on the run span's timeline."""
        if self.run.is_recording():
            self.run.add_event(
                "job.retry_scheduled",
                {
                    sc.JOB_ATTEMPT: attempt,
                    sc.JOB_RETRY_DELAY: delay,
                    attr.ERROR_CLASS: str(error_class),
                    attr.EXCEPTION_TYPE: exception_type_name(exc),
                },
            )

    def progress(self, fields: Mapping[str, Any]) -> None:
        """A progress event on the span of the attempt in progress."""
        if self.attempt.is_recording():
            self.attempt.add_event("job.progress", fields)

    def set_context(self, context: Mapping[str, Any]) -> None:
        """Put the run's context attributes on the run span."""
        if self.run.is_recording():
            self.run.set_attributes({k: v for k, v in context.items() if v is not None})

    def finish_run(
        self,
        status: JobState,
        attempt: int,
        exc_type: str | None,
        error_class: ErrorClass | None,
    ) -> None:
        """Record the final state on the run span (ended later by :meth:`end_run`)."""
        span = self.run
        if span.is_recording():
            span.set_attribute(sc.JOB_STATUS, str(status))
            span.set_attribute(sc.JOB_ATTEMPT, attempt)
            if error_class is not None and exc_type is not None:
                span.set_attribute(attr.ERROR_TYPE, exc_type)
                span.set_attribute(attr.ERROR_CLASS, str(error_class))
                span.set_status(Status(StatusCode.ERROR, f"{status}: {exc_type}"))

    def hand_off(self, attempt: int, exc: BaseException, error_class: ErrorClass) -> None:
        """Record on the run span that attempt ``attempt`` failed and a queue will retry it."""
        span = self.run
        self.attempt = _INVALID
        if span.is_recording():
            span.set_attributes({sc.JOB_STATUS: str(JobState.RETRYING), sc.JOB_ATTEMPT: attempt})
            _fail(span, exc, error_class, self._scrubber)

    def end_run(self) -> None:
        """End the run span."""
        self.run.end()

    def detach(self) -> None:
        """Make the context current at the run's start current again."""
        token, self._run_token = self._run_token, None
        if token is not None:
            otel_context.detach(token)


def _fail(span: Span, exc: BaseException, error_class: ErrorClass, scrubber: Scrubber) -> None:
    record_exception(span, exc, scrubber)
    span.set_attribute(attr.ERROR_TYPE, exception_type_name(exc))
    span.set_attribute(attr.ERROR_CLASS, str(error_class))
    span.set_status(Status(StatusCode.ERROR, exception_type_name(exc)))
