"""How a run starts and ends: ``with`` / ``async with``, :meth:`~RunLifecycle.start` and
:meth:`~RunLifecycle.finish` for task queues, handing a retry off to the queue, and
cancellation.

:class:`RunLifecycle` is the part of :class:`~signalpost.jobs.run.JobRun` that does this,
like :class:`~signalpost.jobs.attempts.AttemptLoop` for the attempts: the state is in the
run's slots, what is read here is declared for the type checker. Starting sets
:data:`run_var` (what :func:`~signalpost.jobs.run.current_run` reads) and the job ID's context
variable; ending resets both, whatever happened.
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar, Token
from types import TracebackType
from typing import Any, Self

from opentelemetry import context as otel_context

from signalpost.context import job_id_var
from signalpost.errors.classify import ErrorClass
from signalpost.failsafe import failsafe, note_failure
from signalpost.jobs.attempts import AttemptLoop
from signalpost.jobs.decision import decide
from signalpost.jobs.interrupts import AsyncTimeouts, outcome
from signalpost.jobs.running import RunningJobs
from signalpost.jobs.state import JobState

__all__ = ["RunLifecycle", "run_var"]

# One shared guard per kind: entering one allocates nothing on the run's path.
_GUARDS = {name: failsafe(name) for name in ("clock", "running jobs", "state transition")}

run_var: ContextVar[RunLifecycle | None] = ContextVar("signalpost_job_run", default=None)
"""The run of the monitored job executing in this context."""


class RunLifecycle(AttemptLoop):
    """Start, end, hand-off and cancellation of one run, mixed into
    :class:`~signalpost.jobs.run.JobRun`."""

    # What the start and the end set (set first by the run's ``__init__``).
    __slots__ = (
        "_cancel_reason",
        "_cancel_requested",
        "_first_attempt",
        "_handed_off",
        "_job_id_token",
        "_loop",
        "_parent",
        "_remote_parent",
        "_run_deadline",
        "_run_var_token",
        "_running",
        "_task",
        "_timeouts",
        "last_progress_monotonic",
        "started_at",
        "started_monotonic",
    )

    started_at: float
    started_monotonic: float
    last_progress_monotonic: float
    _first_attempt: int
    _handed_off: bool
    _job_id_token: Token[str | None] | None
    _loop: asyncio.AbstractEventLoop | None
    _parent: otel_context.Context | None
    _remote_parent: bool
    _run_var_token: Token[RunLifecycle | None] | None
    _running: RunningJobs
    _task: asyncio.Task[Any] | None

    # The run's state these read.
    job_id: str

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

    # ----------------------------------------------------------------- driven by a queue

    def start(self) -> Self:
        """Start the run where no ``with`` block can surround it (a task queue's signals or
        hooks): the same as entering ``with run:``. Returns the run.

        Call :meth:`finish` (or :meth:`hand_off_retry`) from the same thread and context.
        """
        self._start()
        return self

    def finish(self, exc: BaseException | None = None) -> None:
        """End a run started with :meth:`start`: ``exc`` is what the job raised (``None``:
        it returned). The same as leaving ``with run:``."""
        self.__exit__(type(exc) if exc is not None else None, exc, None)

    def hand_off_retry(self, exc: BaseException, *, delay: float | None = None) -> float | None:
        """Let a task queue carry out the retry the policy decides for ``exc``.

        If the policy retries ``exc`` in the attempt in progress, the attempt and the retry
        are recorded, this process's part of the run ends (state ``retrying``: the run is not
        finished, its span ends, it leaves the running-jobs list) and the back-off is returned:
        the caller schedules the next attempt with it (``task.retry(countdown=...)``), and the
        queue's next delivery starts a run with ``first_attempt`` one higher. Leaving a
        ``with`` / ``async with`` block around a handed-off run changes nothing more. Otherwise
        returns ``None`` and nothing changes: end the run with :meth:`finish`.

        ``delay`` given: the queue itself already decided to retry after ``delay`` seconds (a
        task's own ``self.retry()``); it is recorded the same way, without asking the policy.
        """
        if not self._attempt_open or self._sm.state is not JobState.RUNNING:
            return None
        if not isinstance(exc, Exception) or self._cancel_requested:
            return None
        error_class = self._classify(exc)
        if delay is None:
            decision = decide(
                self.policy, exc, error_class, self.attempt, cancel_requested=False, hand_off=True
            )
            if not decision.retried:
                return None
            delay = decision.delay
        self._attempt_open = False
        self._last_error, self._last_error_class = exc, error_class
        self._sm.transition(JobState.RETRYING)
        self._next_delay = delay
        self._handed_off = True
        self._record_attempt_end(exc, error_class, True)
        try:
            self._telemetry.handed_off(self._view(), delay, error_class, exc)
        finally:
            self._release()
        return delay

    # ----------------------------------------------------------------- with / async with

    def __enter__(self) -> Self:
        self._start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._handed_off:
            return
        if self._attempt_open:
            self._end_attempt(exc, may_retry=False)
        self._finish(exc)

    async def __aenter__(self) -> Self:
        try:
            self._task = asyncio.current_task()
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            self._task = None
        self._start()
        policy = self.policy
        if self._task is not None and (
            policy.timeout is not None or policy.attempt_timeout is not None
        ):
            self._timeouts = AsyncTimeouts(policy)
            await self._timeouts.enter_run()
            await self._timeouts.arm_attempt()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        original = exc
        timeouts = self._timeouts
        if self._handed_off:
            if timeouts is not None:
                await timeouts.exit_attempt(None)
                await timeouts.exit_run(None)
            return
        if timeouts is not None:
            exc = await timeouts.exit_attempt(exc)
        if self._attempt_open:
            self._end_attempt(exc, may_retry=False)
        if timeouts is not None:
            exc = await timeouts.exit_run(exc)
        self._finish(exc)
        if exc is not original and exc is not None:
            raise exc  # a timeout replaced the exception the block ended with

    # ----------------------------------------------------------------- start and finish

    def _start(self) -> None:
        now = self.monotonic()
        self.started_monotonic = self.last_progress_monotonic = now
        self._sm.transition(JobState.RUNNING)
        if self.policy.timeout is not None:
            self._run_deadline = now + self.policy.timeout
        self._run_var_token = run_var.set(self)
        self._job_id_token = job_id_var.set(self.job_id)
        with _GUARDS["clock"]:
            self.started_at = self._clock.time()
        with _GUARDS["running jobs"]:
            self._running.add(self._view())
        first = self._first_attempt
        self.attempt = first  # the start's log record and span name the attempt
        self._telemetry.started(
            self._view(),
            now,
            max_attempts=self.policy.max_attempts,
            parent=self._parent,
            remote_parent=self._remote_parent,
            continued=first > 1,
        )
        # A continued run's first attempt here runs under this process's run span.
        self._begin_attempt(first, delay=0.0, span=False)

    def _finish(self, exc: BaseException | None) -> None:
        """End the run with ``exc`` (``None``: returned) and reset what :meth:`_start` set."""
        status = outcome(exc)
        if status is JobState.SUCCEEDED and self._sm.state is JobState.RETRYING:
            # The attempts loop was left after a swallowed failure: that failure is final.
            status, exc = JobState.FAILED, self._last_error
        with _GUARDS["state transition"]:
            self._sm.transition(status)
        duration = max(0.0, self.monotonic() - self.started_monotonic)
        try:
            error_class: ErrorClass | None = None
            if exc is not None and status in (JobState.FAILED, JobState.TIMED_OUT):
                error_class = self._last_error_class if exc is self._last_error else None
                if error_class is None:
                    error_class = self._classify(exc)
            ended_at = self._clock.time()
            self._telemetry.finished(self._view(), status, exc, error_class, duration, ended_at)
        except Exception as failure:
            note_failure("run end telemetry", failure)
        finally:
            self._release()

    def _release(self) -> None:
        """Leave the running-jobs list and reset what :meth:`_start` set."""
        with _GUARDS["running jobs"]:
            self._running.remove(self._view())
        self._telemetry.left(self._view())
        self._telemetry.detach()
        if self._job_id_token is not None:
            job_id_var.reset(self._job_id_token)
            self._job_id_token = None
        if self._run_var_token is not None:
            run_var.reset(self._run_var_token)
            self._run_var_token = None

    def _cancel_task(self) -> None:
        if (
            self._task is not None
            and not self._sm.terminal
            and self._sm.state is not (JobState.PENDING)
        ):
            self._task.cancel(self._cancel_reason)
