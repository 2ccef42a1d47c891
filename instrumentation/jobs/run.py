"""One run of a job: its state, attempts, deadlines, progress and the telemetry it emits.

A :class:`JobRun` is created fresh for every call of a monitored job (see
:mod:`instrumentation.jobs.monitor`); job code receives it from ``with``/``async with`` or from
:func:`current_run`. Every telemetry step runs in a failsafe: a broken tracer, registry or
logger is noted on the ``signalpost.internal`` logger and never changes what the job returns
or raises.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Mapping
from contextvars import ContextVar, Token
from types import TracebackType
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from instrumentation.classify import ErrorClass
from instrumentation.context import job_id_var
from instrumentation.errors import exception_type_name
from instrumentation.jobs.attempts import Attempts
from instrumentation.jobs.deps import JobDeps, internal_error
from instrumentation.jobs.errors import JobCancelled, JobTimeout
from instrumentation.jobs.metrics import TypeMetrics
from instrumentation.jobs.retry import RetryPolicy
from instrumentation.jobs.state import JobState, JobStateMachine
from instrumentation.semconv import attributes as attr
from instrumentation.semconv import jobs as sc
from instrumentation.semconv.errors import SOURCE_JOB

__all__ = ["JobRun", "current_run"]

_current_run: ContextVar[JobRun | None] = ContextVar("signalpost_job_run", default=None)
_INF = math.inf
_MAX_ATTRIBUTE_LEN = 256
_SRC = "signalpost.jobs"  # record.pathname: the caller's frame would be this module anyway


def current_run() -> JobRun | None:
    """Return the run of the monitored job executing in this context, or ``None``.

    The decorator form passes no run to the function; this is how it reports progress.
    """
    return _current_run.get()


def _outcome(exc: BaseException | None) -> JobState:
    if exc is None:
        return JobState.SUCCEEDED
    if isinstance(exc, JobTimeout):
        return JobState.TIMED_OUT
    if not isinstance(exc, Exception):  # CancelledError, JobCancelled, KeyboardInterrupt ...
        return JobState.CANCELLED
    return JobState.FAILED


class JobRun:
    """The state of one run; what job code talks to.

    Attributes:
        job_type: The job type as given (the metric label may be capped to ``_other``).
        job_id: Given by the caller or generated (32 hex digits).
        params: The parameters as given (scrubbed before they reach any telemetry).
        policy: The retry policy in force.
    """

    def __init__(
        self,
        job_type: str,
        *,
        job_id: str | None,
        params: Mapping[str, Any] | None,
        policy: RetryPolicy,
        deps: JobDeps,
        parent: otel_context.Context | None,
        remote_parent: bool,
    ) -> None:
        self.job_type = job_type
        self.job_id = job_id or f"{random.getrandbits(128):032x}"
        self.params: Mapping[str, Any] = params or {}
        self.policy = policy
        self._deps = deps
        self._parent = parent
        self._remote_parent = remote_parent
        self._sm = JobStateMachine()
        self.monotonic = deps.clock.monotonic
        self.attempt = 0
        self.started_monotonic = self.last_progress_monotonic = 0.0
        self.started_at = 0.0
        self.done: float | None = None
        self.total: float | None = None
        self.message: str | None = None
        self.label_type = job_type
        self._context: dict[str, Any] = {}
        self._interval = deps.progress_interval
        self._last_emit = 0.0
        self._emitted_zero = self._emitted_full = False
        self._cancel_requested = False
        self._cancel_reason: str | None = None
        self._task: asyncio.Task[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._run_deadline = self._deadline = _INF
        self._run_span: Span = trace.INVALID_SPAN
        self._run_ctx: otel_context.Context | None = None
        self._started_ns = 0
        self._attempt_span: Span = trace.INVALID_SPAN
        self._run_token: Token[otel_context.Context] | None = None
        self._attempt_token: Token[otel_context.Context] | None = None
        self._job_id_token: Token[str | None] | None = None
        self._run_var_token: Token[JobRun | None] | None = None
        self._attempt_open = False
        self._next_delay = 0.0
        self._last_error: BaseException | None = None
        self._last_error_class: ErrorClass | None = None
        self._tm: TypeMetrics | None = None
        self._items: Any = None
        self._overall_timeout: asyncio.Timeout | None = None
        self._attempt_timeouts: list[asyncio.Timeout] = []
        self._attempts_iterating = False

    # ----------------------------------------------------------------- public API

    @property
    def state(self) -> JobState:
        """The current state."""
        return self._sm.state

    @property
    def cancel_requested(self) -> bool:
        """Whether cancellation was requested (through the registry or :meth:`request_cancel`).

        Sync jobs that do not call :meth:`progress` often can poll this (or :meth:`check`)
        and stop early; the run is then recorded as cancelled.
        """
        return self._cancel_requested

    @property
    def trace_id(self) -> str | None:
        """The run span's trace ID as 32 hex digits, or ``None`` when not traced."""
        ctx = self._run_span.get_span_context()
        return format(ctx.trace_id, "032x") if ctx.is_valid else None

    @property
    def span_id(self) -> str | None:
        """The run span's ID as 16 hex digits, or ``None`` when not traced."""
        ctx = self._run_span.get_span_context()
        return format(ctx.span_id, "016x") if ctx.is_valid else None

    def progress(self, done: float, total: float | None = None, message: str | None = None) -> None:
        """Report that ``done`` of ``total`` items are done, with an optional message.

        Updates the items-processed counter (by the increase of ``done``) and the time of last
        progress that the stuck-job gauge reads. A log record and a span event are emitted at
        0 %, at 100 % and otherwise at most once per ``progress_interval``.

        It is also where a sync job is interrupted cooperatively.

        Raises:
            JobCancelled: Cancellation was requested.
            JobTimeout: The attempt or the run is past its timeout.
        """
        if self._cancel_requested:
            raise JobCancelled(self._cancel_reason or "cancellation requested")
        now = self.monotonic()
        if now >= self._deadline:
            self._raise_timeout(now)
        try:
            previous = self.done
            self.done = done
            if total is not None:
                self.total = total
            if message is not None:
                self.message = message
            self.last_progress_monotonic = now
            delta = done if previous is None else done - previous
            if delta > 0 and self._items is not None:
                self._items.inc(delta)
            if now - self._last_emit >= self._interval:
                self._emit_progress(now)
            elif done <= 0:
                if not self._emitted_zero:
                    self._emit_progress(now)
            elif not self._emitted_full and self.total is not None and done >= self.total:
                self._emit_progress(now)
        except Exception:
            internal_error("progress")

    def check(self) -> None:
        """Raise if the run should stop: for sync jobs between units of work.

        Raises:
            JobCancelled: Cancellation was requested.
            JobTimeout: The attempt or the run is past its timeout.
        """
        if self._cancel_requested:
            raise JobCancelled(self._cancel_reason or "cancellation requested")
        now = self.monotonic()
        if now >= self._deadline:
            self._raise_timeout(now)

    def add_context(self, values: Mapping[str, Any] | None = None, **more: Any) -> None:
        """Attach context to the run: scrubbed, it goes on the run span, on every later log
        record of the run and in the failure record, under ``job.context.<key>``."""
        try:
            merged = {**(values or {}), **more}
            scrubbed = self._deps.scrubber.scrub(merged)
            for key, value in scrubbed.items():
                self._context[f"job.context.{key}"] = _attribute_value(value)
            if self._run_span.is_recording():
                self._run_span.set_attributes(
                    {k: v for k, v in self._context.items() if v is not None}
                )
        except Exception:
            internal_error("add_context")

    def request_cancel(self, reason: str | None = None) -> None:
        """Ask the run to stop; safe from any thread.

        An async run's task is cancelled (on its own event loop). A sync run stops at its next
        :meth:`progress` or :meth:`check` call, or before its next retry.
        """
        self._cancel_reason = reason
        self._cancel_requested = True
        loop = self._loop
        if loop is not None and self._task is not None:
            try:
                loop.call_soon_threadsafe(self._cancel_task)
            except RuntimeError:  # the loop is closed: the run is over anyway
                pass

    def attempts(self) -> Attempts:
        """Iterate over attempts, retrying the ``with attempt:`` block as the policy allows.

        ::

            with monitored_job("etl", retry=policy) as run:
                for attempt in run.attempts():
                    with attempt:
                        load()

        ``async for`` / ``async with`` in async code (the per-attempt timeout then interrupts
        the block). A failure the policy retries is swallowed by ``with attempt``, the back-off
        is slept and the loop goes on; any other failure propagates and fails the run. Without
        ``attempts()``, the body of the ``with`` statement is the run's single attempt.
        """
        return Attempts(self)

    # ----------------------------------------------------------------- lifecycle

    def __enter__(self) -> JobRun:
        self._start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._attempt_open:
            self._end_attempt(exc, may_retry=False)
        self._finish(exc)

    async def __aenter__(self) -> JobRun:
        try:
            self._task = asyncio.current_task()
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            self._task = None
        self._start()
        if self._task is not None and self.policy.timeout is not None:
            timeout = asyncio.timeout(self.policy.timeout)
            await timeout.__aenter__()
            self._overall_timeout = timeout
        await self._arm_attempt_timeout()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        original = exc
        if self._attempt_open:
            exc = await self._exit_attempt_timeouts(exc)
            self._end_attempt(exc, may_retry=False)
        else:
            exc = await self._exit_attempt_timeouts(exc)
        if self._overall_timeout is not None:
            timeout, self._overall_timeout = self._overall_timeout, None
            try:
                await timeout.__aexit__(type(exc) if exc else None, exc, None)
            except TimeoutError as expired:
                exc = JobTimeout("run", self.policy.timeout or 0.0)
                exc.__cause__ = expired
        self._finish(exc)
        if exc is not original and exc is not None:
            raise exc

    # ----------------------------------------------------------------- internals

    def _cancel_task(self) -> None:
        if self._task is not None and not self._sm.terminal and self._sm.state is not (
            JobState.PENDING
        ):
            self._task.cancel(self._cancel_reason)

    def _raise_timeout(self, now: float) -> None:
        if now >= self._run_deadline:
            raise JobTimeout("run", self.policy.timeout or 0.0)
        raise JobTimeout("attempt", self.policy.attempt_timeout or 0.0)

    def _start(self) -> None:
        deps = self._deps
        now = self.monotonic()
        self.started_monotonic = self.last_progress_monotonic = self._last_emit = now
        self._sm.transition(JobState.RUNNING)
        if self.policy.timeout is not None:
            self._run_deadline = now + self.policy.timeout
        self._run_var_token = _current_run.set(self)
        self._job_id_token = job_id_var.set(self.job_id)
        try:
            self.started_at = deps.clock.time()
            if deps.metrics is not None:
                self.label_type = deps.metrics.job_types(self.job_type)
                self._tm = deps.metrics.for_type(self.label_type)
                self._items = self._tm.items
                self._tm.started.inc()
                self._tm.in_progress.inc()
        except Exception:
            internal_error("run start metrics")
        try:
            deps.jobs.add(self)
        except Exception:
            internal_error("job registry")
        try:
            attributes: dict[str, Any] = {
                sc.JOB_TYPE: self.job_type,
                sc.JOB_ID: self.job_id,
                sc.JOB_MAX_ATTEMPTS: self.policy.max_attempts,
            }
            # One timestamp for the run span and, if the run is retried, its attempt-1 span.
            self._started_ns = time.time_ns()
            span = deps.tracer.start_span(
                f"job {self.job_type}",
                context=self._parent,
                kind=SpanKind.CONSUMER if self._remote_parent else SpanKind.INTERNAL,
                attributes=attributes,
                start_time=self._started_ns,
            )
            self._run_span = span
            if span.is_recording() and self.params:
                for key, value in deps.scrubber.scrub(dict(self.params)).items():
                    span.set_attribute(f"{sc.JOB_PARAMETERS}.{key}", _attribute_value(value))
            self._run_ctx = trace.set_span_in_context(span)
            self._run_token = otel_context.attach(self._run_ctx)
        except Exception:
            internal_error("run span")
        self._log(20, "job started", "started")
        self._begin_attempt(1, delay=None)

    def _begin_attempt(self, number: int, delay: float | None) -> None:
        self.attempt = number
        self._attempt_open = True
        if self.policy.attempt_timeout is not None:
            self._deadline = min(self._run_deadline, self.monotonic() + self.policy.attempt_timeout)
        else:
            self._deadline = self._run_deadline
        if number == 1:
            # Attempt 1 runs under the run span (one span, not two). Should it be retried, it
            # gets its own child span after the fact (see _end_attempt_span).
            self._attempt_span = self._run_span
            return
        try:
            attributes: dict[str, Any] = {
                sc.JOB_TYPE: self.job_type,
                sc.JOB_ID: self.job_id,
                sc.JOB_ATTEMPT: number,
            }
            if delay is not None:
                attributes[sc.JOB_RETRY_DELAY] = delay
            span = self._deps.tracer.start_span(
                f"job {self.job_type} attempt", context=self._run_ctx, attributes=attributes
            )
            self._attempt_span = span
            self._attempt_token = otel_context.attach(trace.set_span_in_context(span))
        except Exception:
            internal_error("attempt span")

    def _end_attempt(self, exc: BaseException | None, *, may_retry: bool) -> bool:
        """Close the open attempt; return ``True`` if ``exc`` is swallowed for a retry."""
        self._attempt_open = False
        for timeout in self._attempt_timeouts:  # left by a sync ``with attempt`` in async code
            try:
                timeout.reschedule(None)
            except RuntimeError:
                pass
        if (
            isinstance(exc, asyncio.CancelledError)
            and self._overall_timeout is not None
            and self._overall_timeout.expired()
        ):
            # The run's own timeout interrupted the attempt: account it as a timeout. The
            # CancelledError itself flows on to the run's asyncio timeout, which converts it.
            exc = JobTimeout("run", self.policy.timeout or 0.0)
        error_class: ErrorClass | None = None
        if isinstance(exc, Exception):
            try:
                error_class = self.policy.classifier.classify(exc)
            except Exception:
                error_class = ErrorClass.SYSTEM
            self._last_error, self._last_error_class = exc, error_class
        retry = (
            may_retry
            and error_class is not None
            and not self._cancel_requested
            and not (isinstance(exc, JobTimeout) and exc.scope == "run")
            and self.policy.retries(error_class, self.attempt)
        )
        delay = 0.0
        if retry:
            delay = self.policy.delay(self.attempt)
            if self.monotonic() + delay >= self._run_deadline:
                retry = False
                self._log(
                    30,
                    "job retry skipped: back-off would pass the job timeout",
                    "retry_skipped",
                    {sc.JOB_RETRY_DELAY: delay},
                )
        try:
            self._end_attempt_span(exc, error_class, retry)
        except Exception:
            internal_error("attempt span end")
        try:
            if self._deps.metrics is not None:
                self._deps.metrics.attempt_finished(
                    self.label_type, str(error_class) if error_class is not None else None
                )
        except Exception:
            internal_error("attempt metrics")
        if not retry or error_class is None or exc is None:
            return False
        self._sm.transition(JobState.RETRYING)
        self._next_delay = delay
        try:
            if self._deps.metrics is not None:
                self._deps.metrics.retry_scheduled(self.label_type, str(error_class))
            if self._run_span.is_recording():
                self._run_span.add_event(
                    "job.retry_scheduled",
                    {
                        sc.JOB_ATTEMPT: self.attempt,
                        sc.JOB_RETRY_DELAY: delay,
                        attr.ERROR_CLASS: str(error_class),
                        attr.EXCEPTION_TYPE: exception_type_name(exc),
                    },
                )
        except Exception:
            internal_error("retry telemetry")
        self._log(
            30,
            "job retry scheduled",
            "retry_scheduled",
            {
                sc.JOB_RETRY_DELAY: delay,
                attr.ERROR_CLASS: str(error_class),
                attr.EXCEPTION_TYPE: exception_type_name(exc),
            },
        )
        return True

    def _end_attempt_span(
        self, exc: BaseException | None, error_class: ErrorClass | None, retry: bool
    ) -> None:
        span = self._attempt_span
        self._attempt_span = trace.INVALID_SPAN
        if span is self._run_span:
            # Attempt 1 ran under the run span.
            if retry and exc is not None and error_class is not None:
                # The run goes beyond attempt 1: give attempt 1 its child span after the fact,
                # from the run's start to now, so that every attempt of a retried run has one.
                self._attempt_one_span(exc, error_class)
            elif exc is not None and error_class is not None and span.is_recording():
                span.record_exception(exc)  # the run ends with this attempt
            return
        try:
            if span.is_recording() and exc is not None:
                if error_class is not None:
                    _fail_attempt_span(span, exc, error_class)
                else:
                    span.set_attribute(sc.JOB_STATUS, str(JobState.CANCELLED))
        finally:
            if self._attempt_token is not None:
                otel_context.detach(self._attempt_token)
                self._attempt_token = None
            span.end()

    def _attempt_one_span(self, exc: BaseException, error_class: ErrorClass) -> None:
        span = self._deps.tracer.start_span(
            f"job {self.job_type} attempt",
            context=self._run_ctx,
            attributes={sc.JOB_TYPE: self.job_type, sc.JOB_ID: self.job_id, sc.JOB_ATTEMPT: 1},
            start_time=self._started_ns,
        )
        if span.is_recording():
            _fail_attempt_span(span, exc, error_class)
        span.end()

    def _before_retry(self) -> float:
        """Check the run may go on after a failed attempt; return the back-off to wait."""
        if self._cancel_requested:
            raise JobCancelled(self._cancel_reason or "cancellation requested")
        return self._next_delay

    def _after_backoff(self) -> None:
        if self._cancel_requested:
            raise JobCancelled(self._cancel_reason or "cancellation requested")
        now = self.monotonic()
        if now >= self._run_deadline:
            raise JobTimeout("run", self.policy.timeout or 0.0)
        self._sm.transition(JobState.RUNNING)
        self._begin_attempt(self.attempt + 1, delay=self._next_delay)

    async def _arm_attempt_timeout(self) -> None:
        if self._task is not None and self.policy.attempt_timeout is not None:
            timeout = asyncio.timeout(self.policy.attempt_timeout)
            await timeout.__aenter__()
            self._attempt_timeouts.append(timeout)

    async def _exit_attempt_timeouts(self, exc: BaseException | None) -> BaseException | None:
        """Leave the attempt's asyncio timeout; an expiry turns ``exc`` into a JobTimeout."""
        while self._attempt_timeouts:
            timeout = self._attempt_timeouts.pop()
            try:
                await timeout.__aexit__(type(exc) if exc else None, exc, None)
            except TimeoutError as expired:
                exc = JobTimeout("attempt", self.policy.attempt_timeout or 0.0)
                exc.__cause__ = expired
        return exc

    def _finish(self, exc: BaseException | None) -> None:
        status = _outcome(exc)
        if status is JobState.SUCCEEDED and self._sm.state is JobState.RETRYING:
            # The attempts loop was left after a swallowed failure: that failure is final.
            status, exc = JobState.FAILED, self._last_error
        try:
            self._sm.transition(status)
        except Exception:
            internal_error("state transition")
        duration = max(0.0, self.monotonic() - self.started_monotonic)
        try:
            self._record_finish(status, exc, duration)
        except Exception:
            internal_error("run end telemetry")
        finally:
            try:
                self._deps.jobs.remove(self)
            except Exception:
                internal_error("job registry")
            if self._run_token is not None:
                try:
                    otel_context.detach(self._run_token)
                except Exception:
                    internal_error("context detach")
                self._run_token = None
            if self._job_id_token is not None:
                job_id_var.reset(self._job_id_token)
                self._job_id_token = None
            if self._run_var_token is not None:
                _current_run.reset(self._run_var_token)
                self._run_var_token = None

    def _record_finish(self, status: JobState, exc: BaseException | None, duration: float) -> None:
        error_class: ErrorClass | None = None
        if exc is not None and status in (JobState.FAILED, JobState.TIMED_OUT):
            error_class = self._last_error_class if exc is self._last_error else None
            if error_class is None:
                try:
                    error_class = self.policy.classifier.classify(exc)
                except Exception:
                    error_class = ErrorClass.SYSTEM
        exc_type = exception_type_name(exc) if exc is not None else None
        try:
            metrics, tm = self._deps.metrics, self._tm
            if metrics is not None and tm is not None:
                tm.in_progress.dec()
                metrics.finished(
                    self.label_type,
                    str(status),
                    duration,
                    str(error_class) if error_class is not None else None,
                    exc_type,
                )
                if status is JobState.SUCCEEDED:
                    metrics.succeeded_at(self.label_type, self._deps.clock.time())
        except Exception:
            internal_error("run metrics")
        span = self._run_span
        try:
            if span.is_recording():
                span.set_attributes({sc.JOB_STATUS: str(status), sc.JOB_ATTEMPT: self.attempt})
                if error_class is not None and exc is not None and exc_type is not None:
                    span.set_attribute(attr.ERROR_TYPE, exc_type)
                    span.set_attribute(attr.ERROR_CLASS, str(error_class))
                    span.set_status(Status(StatusCode.ERROR, f"{status}: {exc_type}"))
        except Exception:
            internal_error("run span status")
        fields: dict[str, Any] = {"job.duration": duration}
        if status is JobState.SUCCEEDED:
            self._log(20, "job succeeded", "succeeded", fields)
        elif status is JobState.CANCELLED:
            if self._cancel_reason:
                fields["job.cancel.reason"] = self._cancel_reason
            self._log(30, "job cancelled", "cancelled", fields)
        elif exc is not None:
            self._report(status, exc, duration)
        try:
            span.end()
        except Exception:
            internal_error("run span end")

    def _report(self, status: JobState, exc: BaseException, duration: float) -> None:
        reporter = self._deps.reporter
        if reporter is None:
            return
        event = "failed" if status is JobState.FAILED else "timed_out"
        context: dict[str, Any] = {
            sc.JOB_TYPE: self.job_type,
            sc.JOB_ID: self.job_id,
            sc.JOB_ATTEMPT: self.attempt,
            sc.JOB_STATUS: str(status),
            sc.JOB_EVENT: event,
            "job.duration": duration,
            **self._context,
        }
        if self.params:
            context[sc.JOB_PARAMETERS] = dict(self.params)
        label = "failed" if status is JobState.FAILED else "timed out"
        try:  # the reporter scrubs the parameters and logs with exc_info
            reporter.report(
                exc, source=SOURCE_JOB, context=context, message=f"job {label}: {self.job_type}"
            )
        except Exception:
            internal_error("error report")

    def _emit_progress(self, now: float) -> None:
        self._last_emit = now
        done, total = self.done or 0, self.total
        if done <= 0:
            self._emitted_zero = True
        if total is not None and done >= total:
            self._emitted_full = True
        fields: dict[str, Any] = {sc.JOB_PROGRESS_DONE: done}
        if total is not None:
            fields[sc.JOB_PROGRESS_TOTAL] = total
            if total > 0:
                fields[sc.JOB_PROGRESS_RATIO] = min(1.0, done / total)
        if self.message is not None:
            fields[sc.JOB_PROGRESS_MESSAGE] = self.message
        span = self._attempt_span
        if span.is_recording():
            span.add_event("job.progress", fields)
        self._log(20, "job progress", "progress", fields)

    def _log(
        self, level: int, message: str, event: str, fields: Mapping[str, Any] | None = None
    ) -> None:
        try:
            logger = self._deps.logger
            if not logger.isEnabledFor(level):
                return
            extra: dict[str, Any] = {
                sc.JOB_ID: self.job_id,
                sc.JOB_TYPE: self.job_type,
                sc.JOB_ATTEMPT: self.attempt,
                sc.JOB_STATUS: str(self._sm.state),
                sc.JOB_EVENT: event,
                **self._context,
            }
            if fields:
                extra.update(fields)
            # makeRecord + handle is logger.log without the frame walk of findCaller, whose
            # answer would be this module anyway; handlers and filters run as usual.
            logger.handle(
                logger.makeRecord(logger.name, level, _SRC, 0, message, (), None, "job", extra)
            )
        except Exception:
            internal_error(f"log {event}")


def _fail_attempt_span(span: Span, exc: BaseException, error_class: ErrorClass) -> None:
    span.record_exception(exc)
    span.set_attribute(attr.ERROR_TYPE, exception_type_name(exc))
    span.set_attribute(attr.ERROR_CLASS, str(error_class))
    span.set_status(Status(StatusCode.ERROR, exception_type_name(exc)))


def _attribute_value(value: Any) -> str | bool | int | float:
    if isinstance(value, str | bool | int | float):
        return value
    text = repr(value)
    return text if len(text) <= _MAX_ATTRIBUTE_LEN else text[:_MAX_ATTRIBUTE_LEN] + "..."
