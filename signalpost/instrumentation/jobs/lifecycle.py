"""How a run starts and finishes (sync and async), and what that emits.

These functions drive a :class:`~signalpost.instrumentation.jobs.run.JobRun` into and out of its
state
machine and emit what each step means (metrics, spans, log records); the attempts in between
are :mod:`~signalpost.instrumentation.jobs.attempts`. Every telemetry step runs in a failsafe: a
broken
tracer, registry or logger is noted on ``signalpost.internal`` and never changes what the job
returns or raises.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from signalpost.instrumentation.classify import ErrorClass
from signalpost.instrumentation.context import job_id_var
from signalpost.instrumentation.errors import exception_type_name
from signalpost.instrumentation.jobs.attempts import begin_attempt, end_attempt
from signalpost.instrumentation.jobs.current import run_var
from signalpost.instrumentation.jobs.deps import internal_error
from signalpost.instrumentation.jobs.interrupts import AsyncTimeouts, outcome
from signalpost.instrumentation.jobs.logs import log_event, report_failure
from signalpost.instrumentation.jobs.state import JobState

if TYPE_CHECKING:
    from signalpost.instrumentation.jobs.run import JobRun

__all__ = ["enter_async", "exit_async", "exit_sync", "finish", "start"]

_INFO, _WARNING = 20, 30


def exit_sync(run: JobRun, exc: BaseException | None) -> None:
    """``JobRun.__exit__``: close the open attempt, finish the run."""
    if run._attempt_open:
        end_attempt(run, exc, may_retry=False)
    finish(run, exc)


async def enter_async(run: JobRun) -> None:
    """``JobRun.__aenter__``: start, then enter the policy's asyncio timeouts (in a task)."""
    try:
        run._task = asyncio.current_task()
        run._loop = asyncio.get_running_loop()
    except RuntimeError:
        run._task = None
    start(run)
    policy = run.policy
    if run._task is not None and (
        policy.timeout is not None or policy.attempt_timeout is not None
    ):
        run._timeouts = AsyncTimeouts(policy)
        await run._timeouts.enter_run()
        await run._timeouts.arm_attempt()


async def exit_async(run: JobRun, exc: BaseException | None) -> BaseException | None:
    """``JobRun.__aexit__``: leave the timeouts, close the attempt, finish the run.

    Returns the exception the run ended with when a timeout replaced ``exc``.
    """
    original = exc
    timeouts = run._timeouts
    if timeouts is not None:
        exc = await timeouts.exit_attempt(exc)
    if run._attempt_open:
        end_attempt(run, exc, may_retry=False)
    if timeouts is not None:
        exc = await timeouts.exit_run(exc)
    finish(run, exc)
    return exc if exc is not original else None


def start(run: JobRun) -> None:
    """Start ``run`` and its attempt 1: state, context variables, metrics, registry, span, log."""
    deps = run._deps
    now = run.monotonic()
    run.started_monotonic = run.last_progress_monotonic = run._last_emit = now
    run._sm.transition(JobState.RUNNING)
    if run.policy.timeout is not None:
        run._run_deadline = now + run.policy.timeout
    run._run_var_token = run_var.set(run)
    run._job_id_token = job_id_var.set(run.job_id)
    try:
        run.started_at = deps.clock.time()
        if deps.metrics is not None:
            run.label_type = deps.metrics.job_types(run.job_type)
            run._tm = deps.metrics.for_type(run.label_type)
            run._items = run._tm.items
            run._tm.started.inc()
            run._tm.in_progress.inc()
    except Exception:
        internal_error("run start metrics")
    try:
        deps.jobs.add(run)
    except Exception:
        internal_error("job registry")
    try:
        run._spans.start_run(
            max_attempts=run.policy.max_attempts,
            parent=run._parent,
            remote_parent=run._remote_parent,
            params=run.params,
            scrubber=deps.scrubber,
        )
    except Exception:
        internal_error("run span")
    log_event(run, _INFO, "job started", "started")
    begin_attempt(run, 1, delay=0.0)


def finish(run: JobRun, exc: BaseException | None) -> None:
    """End ``run`` with ``exc`` (``None``: returned) and reset what :func:`start` set."""
    status = outcome(exc)
    if status is JobState.SUCCEEDED and run._sm.state is JobState.RETRYING:
        # The attempts loop was left after a swallowed failure: that failure is final.
        status, exc = JobState.FAILED, run._last_error
    try:
        run._sm.transition(status)
    except Exception:
        internal_error("state transition")
    duration = max(0.0, run.monotonic() - run.started_monotonic)
    try:
        _record_finish(run, status, exc, duration)
    except Exception:
        internal_error("run end telemetry")
    finally:
        try:
            run._deps.jobs.remove(run)
        except Exception:
            internal_error("job registry")
        try:
            run._spans.detach()
        except Exception:
            internal_error("context detach")
        if run._job_id_token is not None:
            job_id_var.reset(run._job_id_token)
            run._job_id_token = None
        if run._run_var_token is not None:
            run_var.reset(run._run_var_token)
            run._run_var_token = None


def _record_finish(
    run: JobRun, status: JobState, exc: BaseException | None, duration: float
) -> None:
    error_class: ErrorClass | None = None
    if exc is not None and status in (JobState.FAILED, JobState.TIMED_OUT):
        error_class = run._last_error_class if exc is run._last_error else None
        if error_class is None:
            try:
                error_class = run.policy.classifier.classify(exc)
            except Exception:
                error_class = ErrorClass.SYSTEM
    exc_type = exception_type_name(exc) if exc is not None else None
    deps = run._deps
    try:
        metrics, tm = deps.metrics, run._tm
        if metrics is not None and tm is not None:
            tm.in_progress.dec()
            if status is JobState.SUCCEEDED:
                tm.run_succeeded(duration, deps.clock.time())
            else:
                metrics.finished(
                    run.label_type,
                    str(status),
                    duration,
                    str(error_class) if error_class is not None else None,
                    exc_type,
                )
    except Exception:
        internal_error("run metrics")
    try:
        run._spans.finish_run(status, run.attempt, exc_type, error_class)
    except Exception:
        internal_error("run span status")
    fields: dict[str, object] = {"job.duration": duration}
    if status is JobState.SUCCEEDED:
        log_event(run, _INFO, "job succeeded", "succeeded", fields)
    elif status is JobState.CANCELLED:
        if run._cancel_reason:
            fields["job.cancel.reason"] = run._cancel_reason
        log_event(run, _WARNING, "job cancelled", "cancelled", fields)
    elif exc is not None:
        report_failure(run, status, exc, duration)
    try:
        run._spans.end_run()
    except Exception:
        internal_error("run span end")
