"""Attempts of a run: opening and closing one, the retry decision, and the iterator
``for attempt in run.attempts(): with attempt: ...`` (and async forms).

The iterator yields the attempt already started with the run, then, after a failure the
policy retries, waits out the back-off on the run's clock and starts the next attempt.
``with attempt`` closes the attempt; it swallows a failure only when a retry was scheduled.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from signalpost.instrumentation.classify import ErrorClass
from signalpost.instrumentation.errors import exception_type_name
from signalpost.instrumentation.jobs.deps import internal_error
from signalpost.instrumentation.jobs.errors import JobTimeout
from signalpost.instrumentation.jobs.interrupts import cancelled, run_timeout
from signalpost.instrumentation.jobs.logs import log_event
from signalpost.instrumentation.jobs.state import JobState
from signalpost.instrumentation.semconv import attributes as attr
from signalpost.instrumentation.semconv import jobs as sc

if TYPE_CHECKING:
    from signalpost.instrumentation.jobs.run import JobRun

__all__ = ["Attempt", "Attempts", "after_backoff", "before_retry", "begin_attempt", "end_attempt"]

_WARNING = 30


def begin_attempt(run: JobRun, number: int, delay: float) -> None:
    """Open attempt ``number``: its deadline and, from attempt 2 on, its span."""
    run.attempt = number
    run._attempt_open = True
    if run.policy.attempt_timeout is not None:
        run._deadline = min(run._run_deadline, run.monotonic() + run.policy.attempt_timeout)
    else:
        run._deadline = run._run_deadline
    if number > 1:  # attempt 1 runs under the run span
        try:
            run._spans.begin_attempt(number, delay)
        except Exception:
            internal_error("attempt span")


def end_attempt(run: JobRun, exc: BaseException | None, *, may_retry: bool) -> bool:
    """Close the open attempt; return ``True`` if ``exc`` is swallowed for a retry."""
    run._attempt_open = False
    timeouts = run._timeouts
    if timeouts is not None:
        timeouts.disarm_attempts()  # left by a sync ``with attempt`` in async code
        if timeouts.interrupted_by_run_timeout(exc):
            # The run's own timeout interrupted the attempt: account it as a timeout. The
            # CancelledError itself flows on to the run's asyncio timeout, which converts it.
            exc = run_timeout(run.policy)
    error_class: ErrorClass | None = None
    if isinstance(exc, Exception):
        try:
            error_class = run.policy.classifier.classify(exc)
        except Exception:
            error_class = ErrorClass.SYSTEM
        run._last_error, run._last_error_class = exc, error_class
    retry = (
        may_retry
        and error_class is not None
        and not run._cancel_requested
        and not (isinstance(exc, JobTimeout) and exc.scope == "run")
        and run.policy.retries(error_class, run.attempt)
    )
    delay = 0.0
    if retry:
        delay = run.policy.delay(run.attempt)
        if run.monotonic() + delay >= run._run_deadline:
            retry = False
            log_event(
                run,
                _WARNING,
                "job retry skipped: back-off would pass the job timeout",
                "retry_skipped",
                {sc.JOB_RETRY_DELAY: delay},
            )
    try:
        run._spans.end_attempt(exc, error_class, retry)
    except Exception:
        internal_error("attempt span end")
    metrics = run._deps.metrics
    try:
        if error_class is None and run._tm is not None:
            run._tm.attempt_succeeded()
        elif metrics is not None:
            metrics.attempt_finished(
                run.label_type, str(error_class) if error_class is not None else None
            )
    except Exception:
        internal_error("attempt metrics")
    if not retry or error_class is None or exc is None:
        return False
    run._sm.transition(JobState.RETRYING)
    run._next_delay = delay
    try:
        if metrics is not None:
            metrics.retry_scheduled(run.label_type, str(error_class))
        run._spans.retry_scheduled(run.attempt, delay, error_class, exc)
    except Exception:
        internal_error("retry telemetry")
    log_event(
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
    return True


def before_retry(run: JobRun) -> float:
    """Check the run may go on after a failed attempt; return the back-off to wait."""
    if run._cancel_requested:
        raise cancelled(run._cancel_reason)
    return run._next_delay


def after_backoff(run: JobRun) -> None:
    """Start the next attempt once the back-off is over, unless the run must stop."""
    if run._cancel_requested:
        raise cancelled(run._cancel_reason)
    if run.monotonic() >= run._run_deadline:
        raise run_timeout(run.policy)
    run._sm.transition(JobState.RUNNING)
    begin_attempt(run, run.attempt + 1, delay=run._next_delay)


class Attempt:
    """One attempt in :meth:`JobRun.attempts`; use as ``with attempt:`` or ``async with``."""

    __slots__ = ("_run", "number")

    def __init__(self, run: JobRun, number: int) -> None:
        self._run = run
        self.number = number
        """1 for the first attempt."""

    def __enter__(self) -> Attempt:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        run = self._run
        if not run._attempt_open or run.attempt != self.number:
            return False
        return end_attempt(run, exc, may_retry=True)

    async def __aenter__(self) -> Attempt:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        run = self._run
        if not run._attempt_open or run.attempt != self.number:
            return False
        timeouts = run._timeouts
        converted = exc if timeouts is None else await timeouts.exit_attempt(exc)
        suppress = end_attempt(run, converted, may_retry=True)
        if suppress:
            return True
        if converted is not exc and converted is not None:
            raise converted
        return False


class Attempts:
    """Iterator (sync and async) over the attempts of a run; see :meth:`JobRun.attempts`."""

    __slots__ = ("_first", "_run")

    def __init__(self, run: JobRun) -> None:
        self._run = run
        self._first = True

    def __iter__(self) -> Attempts:
        return self

    def __aiter__(self) -> Attempts:
        return self

    def _take_first(self) -> Attempt | None:
        run = self._run
        if self._first:
            self._first = False
            if run._attempt_open:
                return Attempt(run, run.attempt)
        if run._attempt_open:
            # The previous attempt was not used as a context manager: take it as succeeded.
            end_attempt(run, None, may_retry=False)
        return None

    def __next__(self) -> Attempt:
        run = self._run
        first = self._take_first()
        if first is not None:
            return first
        if run.state is not JobState.RETRYING:
            raise StopIteration
        delay = before_retry(run)
        if delay > 0:
            run._deps.clock.sleep(delay)
        after_backoff(run)
        return Attempt(run, run.attempt)

    async def __anext__(self) -> Attempt:
        run = self._run
        first = self._take_first()
        if first is not None:
            return first
        if run.state is not JobState.RETRYING:
            raise StopAsyncIteration
        delay = before_retry(run)
        if delay > 0:
            await run._deps.clock.async_sleep(delay)
        after_backoff(run)
        if run._timeouts is not None:
            await run._timeouts.arm_attempt()
        return Attempt(run, run.attempt)
