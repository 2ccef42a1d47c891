"""One run of a job: its identity, state, progress and deadlines; what job code talks to.

A :class:`JobRun` is created fresh for every call of a monitored job (see
:mod:`signalpost.instrumentation.jobs.monitor`); job code receives it from ``with``/``async with``
or from
:func:`current_run`. Its steps (start, attempts, retries, finish) live in
:mod:`~signalpost.instrumentation.jobs.lifecycle`, the spans in
:mod:`~signalpost.instrumentation.jobs.spans`, the
log records in :mod:`~signalpost.instrumentation.jobs.logs`, timeouts and cancellation in
:mod:`~signalpost.instrumentation.jobs.interrupts`.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Mapping
from contextvars import Token
from types import TracebackType
from typing import Any

from opentelemetry import context as otel_context

from signalpost.instrumentation.classify import ErrorClass
from signalpost.instrumentation.jobs import lifecycle
from signalpost.instrumentation.jobs.attempts import Attempts
from signalpost.instrumentation.jobs.current import current_run
from signalpost.instrumentation.jobs.deps import JobDeps, internal_error
from signalpost.instrumentation.jobs.interrupts import AsyncTimeouts, cancelled, deadline_passed
from signalpost.instrumentation.jobs.logs import log_event, progress_fields
from signalpost.instrumentation.jobs.metrics import TypeMetrics
from signalpost.instrumentation.jobs.retry import RetryPolicy
from signalpost.instrumentation.jobs.spans import RunSpans, attribute_value
from signalpost.instrumentation.jobs.state import JobState, JobStateMachine

__all__ = ["JobRun", "current_run"]

_INF = math.inf


class JobRun:
    """The state of one run; what job code talks to.

    Attributes:
        job_type: The job type as given (the metric label may be capped to ``_other``).
        job_id: Given by the caller or generated (32 hex digits).
        params: The parameters as given (scrubbed before they reach any telemetry).
        policy: The retry policy in force.
    """

    __slots__ = (
        "__weakref__",
        "_attempt_open",
        "_cancel_reason",
        "_cancel_requested",
        "_context",
        "_deadline",
        "_deps",
        "_emitted_first",
        "_emitted_full",
        "_interval",
        "_items",
        "_job_id_token",
        "_last_emit",
        "_last_error",
        "_last_error_class",
        "_loop",
        "_next_delay",
        "_parent",
        "_remote_parent",
        "_run_deadline",
        "_run_var_token",
        "_sm",
        "_spans",
        "_task",
        "_timeouts",
        "_tm",
        "attempt",
        "done",
        "job_id",
        "job_type",
        "label_type",
        "last_progress_monotonic",
        "message",
        "monotonic",
        "params",
        "policy",
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
        self._spans = RunSpans(deps.tracer, job_type, self.job_id)
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
        self._emitted_first = self._emitted_full = False
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
        self._tm: TypeMetrics | None = None
        self._items: Any = None

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
        ctx = self._spans.run.get_span_context()
        return format(ctx.trace_id, "032x") if ctx.is_valid else None

    @property
    def span_id(self) -> str | None:
        """The run span's ID as 16 hex digits, or ``None`` when not traced."""
        ctx = self._spans.run.get_span_context()
        return format(ctx.span_id, "016x") if ctx.is_valid else None

    def progress(self, done: float, total: float | None = None, message: str | None = None) -> None:
        """Report that ``done`` of ``total`` items are done, with an optional message.

        Updates the items-processed counter (by the increase of ``done``) and the time of last
        progress that the stuck-job gauge reads. A log record and a span event are emitted for
        the run's first report (its 0 %, whatever ``done`` is), at 100 % and otherwise at most
        once per ``progress_interval``.

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
            if now - self._last_emit >= self._interval or not self._emitted_first:
                # The run's first report marks where measurable work starts (its "0 %"),
                # whatever ``done`` it carries.
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
            raise cancelled(self._cancel_reason)
        now = self.monotonic()
        if now >= self._deadline:
            raise deadline_passed(now, self._run_deadline, self.policy)

    def add_context(self, values: Mapping[str, Any] | None = None, **more: Any) -> None:
        """Attach context to the run: scrubbed, it goes on the run span, on every later log
        record of the run and in the failure record, under ``job.context.<key>``."""
        try:
            merged = {**(values or {}), **more}
            scrubbed = self._deps.scrubber.scrub(merged)
            for key, value in scrubbed.items():
                self._context[f"job.context.{key}"] = attribute_value(value)
            self._spans.set_context(self._context)
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
        lifecycle.start(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        lifecycle.exit_sync(self, exc)

    async def __aenter__(self) -> JobRun:
        await lifecycle.enter_async(self)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        replaced = await lifecycle.exit_async(self, exc)
        if replaced is not None:
            raise replaced

    # ----------------------------------------------------------------- internals

    def _cancel_task(self) -> None:
        if self._task is not None and not self._sm.terminal and self._sm.state is not (
            JobState.PENDING
        ):
            self._task.cancel(self._cancel_reason)

    def _emit_progress(self, now: float) -> None:
        self._last_emit = now
        done, total = self.done or 0, self.total
        self._emitted_first = True
        if total is not None and done >= total:
            self._emitted_full = True
        fields = progress_fields(done, total, self.message)
        self._spans.progress(fields)
        log_event(self, 20, "job progress", "progress", fields)
