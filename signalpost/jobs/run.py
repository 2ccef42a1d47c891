"""One run of a job: the single owner of its state, and what job code talks to.

A :class:`JobRun` is created fresh for every call of a monitored job (see
:mod:`~signalpost.jobs.monitor`); job code receives it from ``with`` /
``async with`` or from :func:`current_run`. The run owns its identity, state machine,
progress, deadlines, attempts and cancellation, and drives itself through start, attempts,
retries and finish. What that emits (metrics, spans, log records) is
:mod:`~signalpost.jobs.telemetry`, which reads the run through
:class:`~signalpost.jobs.running.RunView`; timeouts and the exceptions that
stop a run are :mod:`~signalpost.jobs.interrupts`; the attempts and the retry
loop are :mod:`~signalpost.jobs.attempts`; start, end, hand-off and cancellation are
:mod:`~signalpost.jobs.lifecycle`.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Mapping
from contextvars import Token
from dataclasses import dataclass
from typing import Any

from opentelemetry import context as otel_context

from signalpost.errors.classify import ErrorClass
from signalpost.failsafe import failsafe, note_failure
from signalpost.jobs.attempts import Attempt, Attempts
from signalpost.jobs.interrupts import AsyncTimeouts, cancelled, deadline_passed
from signalpost.jobs.lifecycle import RunLifecycle, run_var
from signalpost.jobs.retry import RetryPolicy
from signalpost.jobs.running import AttemptRecord
from signalpost.jobs.services import RunServices
from signalpost.jobs.state import JobState, JobStateMachine
from signalpost.jobs.telemetry import RunTelemetry

__all__ = [
    "Attempt",
    "Attempts",
    "Delivery",
    "JobRun",
    "RunServices",
    "current_run",
    "current_run_or_none",
]

# Entering the shared guard allocates nothing on the run's path.
_CONTEXT_GUARD = failsafe("add_context")

_INF = math.inf

def current_run() -> JobRun:
    """Return the run of the monitored job executing in this context.

    The decorator form passes no run to the function; this is how it reports progress.

    Raises:
        LookupError: Called outside a monitored job (use :func:`current_run_or_none` in code
            that also runs outside one).
    """
    run = run_var.get()
    if not isinstance(run, JobRun):  # only a JobRun sets it: None outside a monitored job
        raise LookupError(
            "current_run() was called outside a monitored job: call it inside a function "
            "decorated with @monitored_job(...) or a `with monitored_job(...)` block, or use "
            "current_run_or_none()"
        )
    return run


def current_run_or_none() -> JobRun | None:
    """Return the run of the monitored job executing in this context, or ``None``."""
    run = run_var.get()
    return run if isinstance(run, JobRun) else None


@dataclass(frozen=True, slots=True)
class Delivery:
    """What one run is made from: its ID (generated when ``None``), parameters, the trace
    context it continues (``remote_parent``: carried from another process), the attempt it
    starts at (above 1: a queue's retry of a run started elsewhere), and its wait."""

    job_id: str | None = None
    params: Mapping[str, Any] | None = None
    parent: otel_context.Context | None = None
    remote_parent: bool = False
    first_attempt: int = 1
    enqueued_at: float | None = None
    queue: str = ""


class JobRun(RunLifecycle):
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
        "_classifier",
        "_clock",
        "_context",
        "_report_progress",
        "_sm",
        "_telemetry",
        "done",
        "enqueued_at",
        "job_id",
        "job_type",
        "message",
        "monotonic",
        "params",
        "policy",
        "queue",
        "total",
    )

    def __init__(
        self, job_type: str, delivery: Delivery, *, policy: RetryPolicy, services: RunServices
    ) -> None:
        job_id, first_attempt = delivery.job_id, delivery.first_attempt
        if first_attempt < 1:
            raise ValueError("attempt numbers start at 1")
        self._first_attempt = first_attempt
        self._handed_off = False
        self.job_type = job_type
        self.job_id = job_id or f"{random.getrandbits(128):032x}"
        self.params: Mapping[str, Any] = delivery.params or {}
        self.policy = policy
        self._clock = services.clock
        self._classifier = services.classifier
        self._running = services.running
        self._parent = delivery.parent
        self._remote_parent = delivery.remote_parent
        self._sm = JobStateMachine()
        self.monotonic = services.clock.monotonic
        """The run's clock: seconds that never go back."""
        self.attempt = 0
        self.started_monotonic = self.last_progress_monotonic = 0.0
        self.started_at = 0.0
        self.enqueued_at = delivery.enqueued_at
        self.queue = delivery.queue
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
        self._run_var_token: Token[RunLifecycle | None] | None = None
        self._attempt_open = False
        self._next_delay = 0.0
        self._last_error: BaseException | None = None
        self._last_error_class: ErrorClass | None = None
        self._history: list[AttemptRecord] = []
        self._telemetry = RunTelemetry(services.telemetry, job_type, self.job_id)
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
        with _CONTEXT_GUARD:
            self._context.update(self._telemetry.context_attributes({**(values or {}), **more}))
            self._telemetry.context_changed(self._context)
