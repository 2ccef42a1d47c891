"""One run of a job: the single owner of its state, and what job code talks to.

A :class:`JobRun` is created fresh for every call of a monitored job (see
:mod:`~signalpost.jobs.monitor`); job code receives it from ``with`` /
``async with`` or from :func:`current_run`. The run owns its identity, state machine,
progress, deadlines, attempts and cancellation, and drives itself through start, attempts,
retries and finish. What that emits (metrics, spans, log records) is
:mod:`~signalpost.jobs.telemetry`, which reads the run through
:class:`~signalpost.jobs.running.RunView`; timeouts and the exceptions that
stop a run are :mod:`~signalpost.jobs.interrupts`; the attempts and the retry
loop are :mod:`~signalpost.jobs.attempts`.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Mapping
from contextvars import ContextVar, Token
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from opentelemetry import context as otel_context

from signalpost.clock import Clock
from signalpost.context import job_id_var
from signalpost.errors.classify import ErrorClass, ErrorClassifier
from signalpost.failsafe import failsafe, note_failure
from signalpost.jobs.attempts import Attempt, AttemptLoop, Attempts
from signalpost.jobs.decision import decide
from signalpost.jobs.interrupts import (
    AsyncTimeouts,
    cancelled,
    deadline_passed,
    outcome,
)
from signalpost.jobs.retry import RetryPolicy
from signalpost.jobs.running import AttemptRecord, RunningJobs
from signalpost.jobs.state import JobState, JobStateMachine
from signalpost.jobs.telemetry import JobTelemetry

__all__ = ["Attempt", "Attempts", "JobRun", "RunServices", "current_run", "current_run_or_none"]

# One shared guard per kind: entering one allocates nothing on the run's path.
_GUARDS = {
    name: failsafe(name)
    for name in (
        "add_context",
        "clock",
        "running jobs",
        "state transition",
    )
}

_INF = math.inf

_run_var: ContextVar[JobRun | None] = ContextVar("signalpost_job_run", default=None)


def current_run() -> JobRun:
    """Return the run of the monitored job executing in this context.

    The decorator form passes no run to the function; this is how it reports progress.

    Raises:
        LookupError: Called outside a monitored job (use :func:`current_run_or_none` in code
            that also runs outside one).
    """
    run = _run_var.get()
    if run is None:
        raise LookupError(
            "current_run() was called outside a monitored job: call it inside a function "
            "decorated with @monitored_job(...) or a `with monitored_job(...)` block, or use "
            "current_run_or_none()"
        )
    return run


def current_run_or_none() -> JobRun | None:
    """Return the run of the monitored job executing in this context, or ``None``."""
    return _run_var.get()


@dataclass(frozen=True, slots=True)
class RunServices:
    """What the runs of one job type share: resolved once by their :class:`MonitoredJob`."""

    clock: Clock
    classifier: ErrorClassifier
    running: RunningJobs
    telemetry: JobTelemetry


class JobRun(AttemptLoop):
    """The state of one run; what job code talks to.

    Attributes:
        job_type: The job type as given (the metric label may be capped to ``_other``).
        job_id: Given by the caller or generated (32 hex digits).
        params: The parameters as given (scrubbed before they reach any telemetry).
        policy: The retry policy in force.
        attempt: The attempt in progress (1 for the first), 0 before the start.
        done, total, message: The last progress reported.
        started_at: Unix time of the start.
        enqueued_at: Unix time since which the run waited to start (its enqueue, or when its
            retry was due), if known: the wait is recorded at the start.
        queue: The queue it waited in (``""`` if none or unknown).
        started_monotonic, last_progress_monotonic: The start and the last progress report on
            the run's clock (:attr:`monotonic`).

    All attributes are read-only for job code: the run changes them itself.
    """

    __slots__ = (
        "__weakref__",
        "_cancel_reason",
        "_cancel_requested",
        "_classifier",
        "_clock",
        "_context",
        "_first_attempt",
        "_handed_off",
        "_job_id_token",
        "_loop",
        "_parent",
        "_remote_parent",
        "_report_progress",
        "_run_deadline",
        "_run_var_token",
        "_running",
        "_sm",
        "_task",
        "_telemetry",
        "_timeouts",
        "done",
        "enqueued_at",
        "job_id",
        "job_type",
        "last_progress_monotonic",
        "message",
        "monotonic",
        "params",
        "policy",
        "queue",
        "started_at",
        "started_monotonic",
        "total",
    )

    def __init__(
        self,
        job_type: str,
        *,
        job_id: str | None,
        params: Mapping[str, Any] | None,
        policy: RetryPolicy,
        services: RunServices,
        parent: otel_context.Context | None,
        remote_parent: bool,
        first_attempt: int = 1,
        enqueued_at: float | None = None,
        queue: str = "",
    ) -> None:
        if first_attempt < 1:
            raise ValueError("attempt numbers start at 1")
        self._first_attempt = first_attempt
        self._handed_off = False
        self.job_type = job_type
        self.job_id = job_id or f"{random.getrandbits(128):032x}"
        self.params: Mapping[str, Any] = params or {}
        self.policy = policy
        self._clock = services.clock
        self._classifier = services.classifier
        self._running = services.running
        self._parent = parent
        self._remote_parent = remote_parent
        self._sm = JobStateMachine()
        self.monotonic = services.clock.monotonic
        """The run's clock: seconds that never go back."""
        self.attempt = 0
        self.started_monotonic = self.last_progress_monotonic = 0.0
        self.started_at = 0.0
        self.enqueued_at = enqueued_at
        self.queue = queue
        self.done: float | None = None
        self.total: float | None = None
        self.message: str | None = None
        self._context: dict[str, Any] = {}
        self._cancel_requested = False
        self._cancel_reason: str | None = None
        self._task: asyncio.Task[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timeouts: AsyncTimeouts | None = None  # async runs in a task only
        self._run_deadline = self._deadline = _INF
        self._job_id_token: Token[str | None] | None = None
        self._run_var_token: Token[JobRun | None] | None = None
        self._attempt_open = False
        self._next_delay = 0.0
        self._last_error: BaseException | None = None
        self._last_error_class: ErrorClass | None = None
        self._history: list[AttemptRecord] = []
        self._telemetry = services.telemetry.for_run(job_type, self.job_id)
        self._report_progress = self._telemetry.progress

    # ----------------------------------------------------------------- reading

    @property
    def state(self) -> JobState:
        """The current state."""
        return self._sm.state

    @property
    def label_type(self) -> str:
        """The ``job_type`` metric label of this run (``_other`` past the job-type cap)."""
        return self._telemetry.label_type

    @property
    def context(self) -> Mapping[str, Any]:
        """The context attributes added with :meth:`add_context` (scrubbed)."""
        return self._context

    @property
    def cancel_requested(self) -> bool:
        """Whether cancellation was requested (through the running-jobs list or
        :meth:`request_cancel`).

        Sync jobs that do not call :meth:`progress` often can poll this (or :meth:`check`)
        and stop early; the run is then recorded as cancelled.
        """
        return self._cancel_requested

    @property
    def cancel_reason(self) -> str | None:
        """The reason given with the cancellation request, if any."""
        return self._cancel_reason

    @property
    def trace_id(self) -> str | None:
        """The run span's trace ID as 32 hex digits, or ``None`` when not traced."""
        return self._telemetry.trace_id

    @property
    def span_id(self) -> str | None:
        """The run span's ID as 16 hex digits, or ``None`` when not traced."""
        return self._telemetry.span_id

    @property
    def history(self) -> tuple[AttemptRecord, ...]:
        """The attempts so far, oldest first: back-off before each, error class and type."""
        return tuple(self._history)

    # ----------------------------------------------------------------- job code

    def progress(self, done: float, total: float | None = None, message: str | None = None) -> None:
        """Report that ``done`` of ``total`` items are done, with an optional message.

        Updates the items-processed counter (by the increase of ``done``) and the time of last
        progress that the stuck-job gauge reads. A log record and a span event are emitted for
        the run's first report (its 0 %, whatever ``done`` is), at 100 % and otherwise at most
        once per ``progress_interval``. A NaN or infinite ``done`` or ``total`` is ignored
        (logged once per run): it would leave the counter at ``+Inf`` for good.

        It is also where a sync job is interrupted cooperatively.

        Raises:
            JobCancelled: Cancellation was requested.
            JobTimeout: The attempt or the run is past its timeout.
        """
        if self._cancel_requested:
            raise cancelled(self._cancel_reason)
        now = self.monotonic()
        if now >= self._deadline:
            raise deadline_passed(now, self._run_deadline, self.policy)
        # The hot path: a plain ``try`` costs nothing when nothing fails (the failsafe context
        # manager costs a quarter of the call, bench/bench_jobs.py); failures are noted the same.
        try:
            self.last_progress_monotonic = now
            # x - x is 0 for a finite number and NaN (truthy) for NaN and infinities: the
            # finiteness check without a call, on the hot path.
            if done - done or (total is not None and total - total):
                self._telemetry.non_finite_progress(self, done, total)
                return
            previous = self.done
            self.done = done
            if total is not None:
                self.total = total
            if message is not None:
                self.message = message
            self._report_progress(self, done if previous is None else done - previous, now)
        except Exception as failure:
            note_failure("progress", failure)

    def check(self) -> None:
        """Raise if the run should stop: for sync jobs between units of work.

        Raises:
            JobCancelled: Cancellation was requested.
            JobTimeout: The attempt or the run is past its timeout.
        """
        if self._cancel_requested:
            raise cancelled(self._cancel_reason)
        now = self.monotonic()
        if now >= self._deadline:
            raise deadline_passed(now, self._run_deadline, self.policy)

    def add_context(self, values: Mapping[str, Any] | None = None, **more: Any) -> None:
        """Attach context to the run: scrubbed, it goes on the run span, on every later log
        record of the run and in the failure record, under ``job.context.<key>``."""
        with _GUARDS["add_context"]:
            self._context.update(self._telemetry.context_attributes({**(values or {}), **more}))
            self._telemetry.context_changed(self._context)

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

    # ----------------------------------------------------------------- driven by a queue

    def start(self) -> JobRun:
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
            self._telemetry.handed_off(self, delay, error_class, exc)
        finally:
            self._release()
        return delay

    # ----------------------------------------------------------------- with / async with

    def __enter__(self) -> JobRun:
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

    async def __aenter__(self) -> JobRun:
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
        self._run_var_token = _run_var.set(self)
        self._job_id_token = job_id_var.set(self.job_id)
        with _GUARDS["clock"]:
            self.started_at = self._clock.time()
        with _GUARDS["running jobs"]:
            self._running.add(self)
        first = self._first_attempt
        self.attempt = first  # the start's log record and span name the attempt
        self._telemetry.started(
            self,
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
            self._telemetry.finished(self, status, exc, error_class, duration, self._clock.time())
        except Exception as failure:
            note_failure("run end telemetry", failure)
        finally:
            self._release()

    def _release(self) -> None:
        """Leave the running-jobs list and reset what :meth:`_start` set."""
        with _GUARDS["running jobs"]:
            self._running.remove(self)
        self._telemetry.left(self)
        self._telemetry.detach()
        if self._job_id_token is not None:
            job_id_var.reset(self._job_id_token)
            self._job_id_token = None
        if self._run_var_token is not None:
            _run_var.reset(self._run_var_token)
            self._run_var_token = None

    def _cancel_task(self) -> None:
        if (
            self._task is not None
            and not self._sm.terminal
            and self._sm.state is not (JobState.PENDING)
        ):
            self._task.cancel(self._cancel_reason)
