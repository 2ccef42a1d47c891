"""The attempts of a job run: opening and closing them, the retry decision at their end, the
back-off between them, and the ``for attempt in run.attempts()`` loop job code writes.

:class:`AttemptLoop` is the part of :class:`~signalpost.jobs.run.JobRun` that
does this: the attempts' state is in its slots; the rest of the run's it reads is declared for the
type checker.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import cast

from signalpost.clock import Clock
from signalpost.errors.capture import exception_type_name
from signalpost.errors.classify import ErrorClass, ErrorClassifier
from signalpost.failsafe import failsafe
from signalpost.jobs.decision import FINAL, decide
from signalpost.jobs.interrupts import AsyncTimeouts, cancelled, run_timeout
from signalpost.jobs.retry import RetryPolicy
from signalpost.jobs.running import AttemptRecord, RunView
from signalpost.jobs.state import JobState, JobStateMachine
from signalpost.jobs.telemetry import RunTelemetry

__all__ = ["Attempt", "AttemptLoop", "Attempts"]

_HISTORY_GUARD = failsafe("attempt history")


class AttemptLoop:
    """The attempts of one run, mixed into :class:`~signalpost.jobs.run.JobRun`."""

    # The attempts' own state (set by the run's ``__init__``): the attempt in progress, whether
    # it is open, its deadline, the history, the last error and the back-off of the next retry.
    __slots__ = (
        "_attempt_open",
        "_deadline",
        "_history",
        "_last_error",
        "_last_error_class",
        "_next_delay",
        "attempt",
    )

    attempt: int
    _attempt_open: bool
    _deadline: float
    _history: list[AttemptRecord]
    _last_error: BaseException | None
    _last_error_class: ErrorClass | None
    _next_delay: float

    # The run's state these read.
    policy: RetryPolicy
    monotonic: Callable[[], float]
    _cancel_reason: str | None
    _cancel_requested: bool
    _classifier: ErrorClassifier
    _clock: Clock
    _run_deadline: float
    _sm: JobStateMachine
    _telemetry: RunTelemetry
    _timeouts: AsyncTimeouts | None

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

    def _view(self) -> RunView:
        # Only ever mixed into JobRun, which is the RunView telemetry reads.
        return cast("RunView", self)

    def _classify(self, exc: BaseException) -> ErrorClass:
        try:
            return self._classifier.classify(exc)
        except Exception:
            return ErrorClass.SYSTEM

    def _begin_attempt(self, number: int, delay: float, span: bool = True) -> None:
        """Open attempt ``number``: its deadline and, from attempt 2 on, its span."""
        self.attempt = number
        self._attempt_open = True
        self._history.append(AttemptRecord(number, delay))
        if self.policy.attempt_timeout is not None:
            self._deadline = min(self._run_deadline, self.monotonic() + self.policy.attempt_timeout)
        else:
            self._deadline = self._run_deadline
        if span and number > 1:  # attempt 1 runs under the run span
            self._telemetry.attempt_started(number, delay)

    def _end_attempt(self, exc: BaseException | None, *, may_retry: bool) -> bool:
        """Close the open attempt; return ``True`` if ``exc`` is swallowed for a retry."""
        self._attempt_open = False
        timeouts = self._timeouts
        if timeouts is not None:
            timeouts.disarm_attempts()  # left by a sync ``with attempt`` in async code
            if timeouts.interrupted_by_run_timeout(exc):
                # The run's own timeout interrupted the attempt: account it as a timeout. The
                # CancelledError itself flows on to the run's asyncio timeout, which converts it.
                exc = run_timeout(self.policy)
        error_class: ErrorClass | None = None
        if isinstance(exc, Exception):
            error_class = self._classify(exc)
            self._last_error, self._last_error_class = exc, error_class
        decision = FINAL
        if may_retry:
            decision = decide(
                self.policy,
                exc,
                error_class,
                self.attempt,
                cancel_requested=self._cancel_requested,
                hand_off=False,
            )
        retry, delay = decision.retried, decision.delay
        if retry:
            if self.monotonic() + delay >= self._run_deadline:
                retry = False
                self._telemetry.retry_skipped(self._view(), delay)
        self._record_attempt_end(exc, error_class, retry)
        self._telemetry.attempt_ended(exc, error_class, retry)
        if not retry or error_class is None or exc is None:
            return False
        self._sm.transition(JobState.RETRYING)
        self._next_delay = delay
        self._telemetry.retry_scheduled(self._view(), delay, error_class, exc)
        return True

    def _record_attempt_end(
        self, exc: BaseException | None, error_class: ErrorClass | None, retried: bool
    ) -> None:
        """Close the open attempt's entry in :attr:`history`."""
        with _HISTORY_GUARD:
            opened = self._history[-1]
            self._history[-1] = AttemptRecord(
                opened.number,
                opened.delay,
                ended=True,
                error_class=str(error_class) if error_class is not None else None,
                error_type=exception_type_name(exc) if exc is not None else None,
                retried=retried,
            )

    def _exit_attempt(self, number: int, exc: BaseException | None) -> bool:
        """``with attempt`` ends: close it unless the run already did."""
        if not self._attempt_open or self.attempt != number:
            return False
        return self._end_attempt(exc, may_retry=True)

    async def _aexit_attempt(self, number: int, exc: BaseException | None) -> bool:
        """``async with attempt`` ends: leave its timeout, close it unless already closed."""
        if not self._attempt_open or self.attempt != number:
            return False
        timeouts = self._timeouts
        converted = exc if timeouts is None else await timeouts.exit_attempt(exc)
        if self._end_attempt(converted, may_retry=True):
            return True
        if converted is not exc and converted is not None:
            raise converted
        return False

    def _attempt_in_hand(self, first: bool) -> int | None:
        """The attempt started with the run on the first step of the loop; otherwise close an
        attempt the loop body left open (not used as a context manager: it succeeded)."""
        if first and self._attempt_open:
            return self.attempt
        if self._attempt_open:
            self._end_attempt(None, may_retry=False)
        return None

    def _pending_backoff(self) -> float | None:
        """The back-off before the scheduled retry, or ``None`` when none is scheduled."""
        if self._sm.state is not JobState.RETRYING:
            return None
        if self._cancel_requested:
            raise cancelled(self._cancel_reason)
        return self._next_delay

    def _open_next_attempt(self) -> int:
        """Start the next attempt once the back-off is over, unless the run must stop."""
        if self._cancel_requested:
            raise cancelled(self._cancel_reason)
        if self.monotonic() >= self._run_deadline:
            raise run_timeout(self.policy)
        self._sm.transition(JobState.RUNNING)
        self._begin_attempt(self.attempt + 1, delay=self._next_delay)
        return self.attempt

    def _next_attempt(self, first: bool) -> int | None:
        number = self._attempt_in_hand(first)
        if number is not None:
            return number
        delay = self._pending_backoff()
        if delay is None:
            return None
        if delay > 0:
            self._clock.sleep(delay)
        return self._open_next_attempt()

    async def _anext_attempt(self, first: bool) -> int | None:
        number = self._attempt_in_hand(first)
        if number is not None:
            return number
        delay = self._pending_backoff()
        if delay is None:
            return None
        if delay > 0:
            await self._clock.async_sleep(delay)
        number = self._open_next_attempt()
        if self._timeouts is not None:
            await self._timeouts.arm_attempt()
        return number


class Attempt:
    """One attempt in :meth:`JobRun.attempts`; use as ``with attempt:`` or ``async with``."""

    __slots__ = ("_run", "number")

    def __init__(self, run: AttemptLoop, number: int) -> None:
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
        return self._run._exit_attempt(self.number, exc)

    async def __aenter__(self) -> Attempt:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        return await self._run._aexit_attempt(self.number, exc)


class Attempts:
    """Iterator (sync and async) over the attempts of a run; see :meth:`JobRun.attempts`.

    It yields the attempt started with the run, then, after a failure the policy retries,
    waits out the back-off on the run's clock and starts the next attempt.
    """

    __slots__ = ("_first", "_run")

    def __init__(self, run: AttemptLoop) -> None:
        self._run = run
        self._first = True

    def __iter__(self) -> Attempts:
        return self

    def __aiter__(self) -> Attempts:
        return self

    def __next__(self) -> Attempt:
        first, self._first = self._first, False
        number = self._run._next_attempt(first)
        if number is None:
            raise StopIteration
        return Attempt(self._run, number)

    async def __anext__(self) -> Attempt:
        first, self._first = self._first, False
        number = await self._run._anext_attempt(first)
        if number is None:
            raise StopAsyncIteration
        return Attempt(self._run, number)
