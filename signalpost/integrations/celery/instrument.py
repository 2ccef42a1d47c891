"""Celery tasks as monitored runs, in one call: :func:`instrument`.

::

    app = Celery("proj", broker="redis://...")
    signalpost.celery.instrument(app, retry=RetryPolicy(max_attempts=5))

Every task (or the ones named) becomes a monitored run: job type = task name, job ID = task
ID, the lifecycle metrics, log events and error records of :mod:`signalpost.instrumentation.jobs`,
and a run span that continues the trace of the code that enqueued the task (the trace context
travels in the message headers: ``before_task_publish`` injects it with the OpenTelemetry
propagator, the worker extracts it). ``current_run().progress(...)`` works inside a task.

The retry policy's decision is carried out by the queue: a failure the policy retries ends
this delivery (:meth:`JobRun.hand_off_retry`) and the task is re-sent with
``task.retry(countdown=<back-off>)``, so a pending retry survives a worker restart; the next
delivery continues the run with attempt ``request.retries + 1``. :func:`cancel` revokes a task
by ID with ``terminate=True`` and a signal that the pool child turns into a cancellation of the
run in progress, recorded as ``cancelled``. See ``docs/celery.md``.
"""

from __future__ import annotations

import inspect
import os
import signal
import threading
from collections.abc import Callable, Collection, Mapping
from types import FrameType
from typing import Any

from signalpost._extras import missing_extra

try:
    from celery import Celery, Task, signals
    from celery.exceptions import Ignore, Retry
except ImportError as error:  # pragma: no cover - exercised by tests/test_extras.py
    raise missing_extra("celery", error) from error

from opentelemetry import propagate
from opentelemetry.trace import TracerProvider
from prometheus_client import CollectorRegistry

from signalpost.instrumentation.classify import ErrorClassifier
from signalpost.instrumentation.clock import Clock
from signalpost.instrumentation.jobs.interrupts import JobCancelled
from signalpost.instrumentation.jobs.monitor import MonitoredJob
from signalpost.instrumentation.jobs.propagation import inject_context
from signalpost.instrumentation.jobs.retry import RetryPolicy
from signalpost.instrumentation.jobs.run import current_run_or_none
from signalpost.instrumentation.jobs.running import RunningJobs, default_running_jobs
from signalpost.instrumentation.scrub import Scrubber
from signalpost.integrations.celery.jobs import CeleryRunningJobs, ProgressPublisher
from signalpost.integrations.celery.pool import ReapDeadChildren, mark_process_dead
from signalpost.integrations.celery.waiting import (
    backlog,
    enqueued_at,
    queue_of,
    stamp_enqueued,
)
from signalpost.integrations.queuelogs import CELERY_LOGGERS, scrub_loggers

__all__ = [
    "CANCEL_SIGNAL",
    "CeleryInstrumentation",
    "backlog",
    "cancel",
    "instrument",
    "running_jobs",
]

CANCEL_SIGNAL = "SIGUSR2"
"""The signal :func:`cancel` has the worker send to the pool child running the task.

Celery's own signals in pool children are SIGTERM (shut down) and SIGUSR1 (soft time limit);
SIGUSR2 would otherwise kill the child.
"""

_BUILTIN_PREFIX = "celery."


class CeleryInstrumentation:
    """What :func:`instrument` set up on one Celery app (returned so tests and apps can see
    which tasks are monitored and undo it)."""

    def __init__(
        self,
        app: Celery,
        *,
        tasks: Collection[str] | None,
        retry: RetryPolicy | None,
        policies: Mapping[str, RetryPolicy],
        params: Callable[[Task, tuple[Any, ...], dict[str, Any]], Mapping[str, Any]] | None,
        monitor_options: Mapping[str, Any],
        publisher: ProgressPublisher | None = None,
    ) -> None:
        self.app = app
        self._names = None if tasks is None else frozenset(tasks)
        self._retry = retry
        self._policies = dict(policies)
        self._params = params
        self._options = dict(monitor_options)
        self._publisher = publisher
        self._monitors: dict[str, MonitoredJob] = {}
        self._originals: dict[str, Callable[..., Any]] = {}
        self._lock = threading.Lock()
        self._release: Callable[[], None] | None = _HANDLERS.acquire()

    @property
    def monitored(self) -> list[str]:
        """The names of the tasks wrapped so far."""
        return sorted(self._monitors)

    def wants(self, name: str) -> bool:
        """Whether the task ``name`` is monitored."""
        if self._names is not None:
            return name in self._names
        return not name.startswith(_BUILTIN_PREFIX)

    def wrap_all(self, **_: Any) -> None:
        """Wrap every registered task that is monitored and not wrapped yet."""
        for name, task in list(self.app.tasks.items()):
            if self.wants(name):
                self.wrap(task)

    def wrap(self, task: Task) -> None:
        """Make each execution of ``task`` a monitored run."""
        name = task.name
        with self._lock:
            if name in self._monitors:
                return
            policy = self._policies.get(name, self._retry)
            monitor = MonitoredJob(name, retry=policy, **self._options)
            original = task.run
            self._monitors[name] = monitor
            self._originals[name] = original
        publisher = self._publisher
        if publisher is not None and not publisher.enabled():
            publisher = None  # no result backend: nowhere to publish progress
        task.run = _monitored_run(task, original, monitor, self._params, publisher)

    def uninstrument(self) -> None:
        """Put the tasks' own ``run`` back and disconnect the signal handlers."""
        with self._lock:
            for name, original in self._originals.items():
                task = self.app.tasks.get(name)
                if task is not None:
                    task.run = original
            self._monitors.clear()
            self._originals.clear()
        release, self._release = self._release, None
        if release is not None:
            release()  # the process-wide handlers go with the last instrumentation
        self.app.steps["worker"].discard(ReapDeadChildren)


def instrument(
    app: Celery,
    *,
    tasks: Collection[str] | None = None,
    retry: RetryPolicy | None = None,
    policies: Mapping[str, RetryPolicy] | None = None,
    params: Callable[[Task, tuple[Any, ...], dict[str, Any]], Mapping[str, Any]] | None = None,
    progress_interval: float = 30.0,
    registry: CollectorRegistry | None = None,
    tracer_provider: TracerProvider | None = None,
    classifier: ErrorClassifier | None = None,
    scrubber: Scrubber | None = None,
    clock: Clock | None = None,
    running: RunningJobs | None = None,
    publish_interval: float | None = 1.0,
) -> CeleryInstrumentation:
    """Monitor the tasks of ``app``: call once, where the app is defined (producer and worker).

    Args:
        app: The Celery app.
        tasks: Names of the tasks to monitor; all but Celery's own (``celery.*``) by default.
        retry: Retry policy of every monitored task; one attempt by default. Retries are
            re-sent through the broker (``task.retry(countdown=...)``).
        policies: Retry policies per task name, overriding ``retry``.
        params: Returns the run parameters (scrubbed before any telemetry) from the task and
            its arguments; by default the arguments bound to the task's parameter names.
        progress_interval, registry, tracer_provider, classifier, scrubber, clock, running:
            As for
            :class:`~signalpost.instrumentation.jobs.MonitoredJob`.
        publish_interval: Seconds between two publications of a running task's progress to
            the result backend (custom state ``PROGRESS``), read by :func:`running_jobs`
            across workers; ``None`` publishes nothing. Needs a result backend.

    Returns:
        The :class:`CeleryInstrumentation`; tasks registered later are wrapped when the app
        is finalized (before a worker runs any task).
    """
    options: dict[str, Any] = {"progress_interval": progress_interval}
    for key, value in (
        ("registry", registry),
        ("tracer_provider", tracer_provider),
        ("classifier", classifier),
        ("scrubber", scrubber),
        ("clock", clock),
        ("running", running),
    ):
        if value is not None:
            options[key] = value
    instrumentation = CeleryInstrumentation(
        app,
        tasks=tasks,
        retry=retry,
        policies=policies or {},
        params=params,
        monitor_options=options,
        publisher=None
        if publish_interval is None
        else ProgressPublisher(
            app, running or default_running_jobs, interval=publish_interval, scrubber=scrubber
        ),
    )
    scrub_loggers(CELERY_LOGGERS, scrubber)
    app.steps["worker"].add(ReapDeadChildren)
    if app.finalized:
        instrumentation.wrap_all()
    else:
        app.on_after_finalize.connect(instrumentation.wrap_all, weak=False)
    return instrumentation


def cancel(app: Celery, task_id: str, reason: str | None = None) -> None:
    """Cancel the task ``task_id`` through Celery's revoke (``terminate=True``).

    A task still waiting in the queue is dropped by the worker that receives it; a running one
    is interrupted in its pool child (:data:`CANCEL_SIGNAL`), where its run ends
    ``cancelled``. ``reason`` is not carried (Celery's revoke has no reason field).
    """
    app.control.revoke(task_id, terminate=True, signal=CANCEL_SIGNAL)


def running_jobs(app: Celery, *, timeout: float = 1.0) -> CeleryRunningJobs:
    """The running tasks of every worker of ``app``, for the running-jobs endpoint.

    ``signalpost.setup(web_app, jobs_source=running_jobs(celery_app))`` serves them at
    ``/jobs`` (and ``python -m signalpost jobs URL`` shows them): task ID, task name, worker
    hostname and start time from ``inspect().active()`` (waiting ``timeout`` seconds for the
    workers' replies), progress from the ``PROGRESS`` state the workers publish
    (``instrument(publish_interval=...)``); cancel revokes through :func:`cancel`.
    """
    return CeleryRunningJobs(app, cancel=cancel, timeout=timeout)


# --------------------------------------------------------------------------- the wrapper


def _default_params(
    original: Callable[..., Any],
) -> Callable[[tuple[Any, ...], dict[str, Any]], Mapping[str, Any]]:
    try:
        signature: inspect.Signature | None = inspect.signature(original)
    except (TypeError, ValueError):
        signature = None

    def bind(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Mapping[str, Any]:
        if signature is not None:
            try:
                return dict(signature.bind_partial(*args, **kwargs).arguments)
            except TypeError:
                pass
        return {"args": list(args), **kwargs}

    return bind


def _monitored_run(
    task: Task,
    original: Callable[..., Any],
    monitor: MonitoredJob,
    params: Callable[[Task, tuple[Any, ...], dict[str, Any]], Mapping[str, Any]] | None,
    publisher: ProgressPublisher | None,
) -> Callable[..., Any]:
    bind = _default_params(original)
    max_retries = monitor.retry.max_attempts - 1

    def run(*args: Any, **kwargs: Any) -> Any:
        request = task.request
        job_run = monitor.queued_run(
            job_id=str(request.id),
            params=params(task, args, kwargs) if params is not None else bind(args, kwargs),
            parent=_carrier(request),
            attempt=(request.retries or 0) + 1,
            enqueued_at=enqueued_at(request),
            queue=queue_of(request),
        )
        job_run.start()
        if publisher is not None:
            publisher.begin(job_run.job_id)
        try:
            result = original(*args, **kwargs)
        except Retry as retry:
            # The task's own self.retry() (or autoretry_for): Celery decided, record it.
            cause = retry.exc if isinstance(retry.exc, Exception) else retry
            when = retry.when
            if job_run.hand_off_retry(
                cause, delay=float(when) if isinstance(when, int | float) else 0.0
            ) is None:
                job_run.finish(retry)
            raise
        except BaseException as exc:
            # The next delivery's run span continues this one's trace.
            carrier = inject_context()
            delay = job_run.hand_off_retry(exc)
            if delay is None:
                job_run.finish(exc)
                if isinstance(exc, JobCancelled):
                    # Revoked: the worker already marked the task revoked; a failure result
                    # must not overwrite that, and a PROGRESS stored meanwhile must not either.
                    if publisher is not None and publisher.end(job_run.job_id):
                        task.backend.mark_as_revoked(job_run.job_id, "terminated")
                    raise Ignore() from exc
                raise
            headers = {**(request.headers or {}), **carrier}
            raise task.retry(
                exc=exc, countdown=delay, max_retries=max_retries, headers=headers
            ) from exc
        finally:
            if publisher is not None:
                publisher.end(job_run.job_id)
        job_run.finish(None)
        return result

    run.__wrapped__ = original  # type: ignore[attr-defined]
    run.__doc__ = original.__doc__
    return run


def _carrier(request: Any) -> dict[str, str]:
    """The trace-context headers of the message being executed."""
    carrier: dict[str, str] = {}
    headers = getattr(request, "headers", None) or {}
    for key in propagate.get_global_textmap().fields:
        value = getattr(request, key, None) or headers.get(key)
        if isinstance(value, str):
            carrier[key] = value
    return carrier


# --------------------------------------------------------------------------- signal handlers


class _SharedHandlers:
    """Celery's signals are process-wide and do not say which app sent them: the handlers are
    connected while at least one app is instrumented, and disconnected with the last one, so
    that undoing one app's instrumentation leaves the others' working."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0

    def acquire(self) -> Callable[[], None]:
        """Connect the handlers unless connected; return the (idempotent) release."""
        with self._lock:
            if self._holders == 0:
                signals.before_task_publish.connect(_inject_headers, weak=False)
                signals.before_task_publish.connect(stamp_enqueued, weak=False)
                signals.worker_process_init.connect(_install_cancel_handler, weak=False)
                signals.worker_process_shutdown.connect(_mark_process_dead, weak=False)
            self._holders += 1
        released = threading.Event()

        def release() -> None:
            if released.is_set():
                return
            released.set()
            with self._lock:
                self._holders -= 1
                if self._holders == 0:
                    signals.before_task_publish.disconnect(_inject_headers)
                    signals.before_task_publish.disconnect(stamp_enqueued)
                    signals.worker_process_init.disconnect(_install_cancel_handler)
                    signals.worker_process_shutdown.disconnect(_mark_process_dead)

        return release


def _inject_headers(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """``before_task_publish``: put the current trace context in the message headers, unless
    the sender already did (a retry carries its run's context)."""
    if headers is None:
        return
    fields = propagate.get_global_textmap().fields
    if any(key in headers for key in fields):
        return
    inject_context(headers)


def _cancel_handler(signum: int, frame: FrameType | None) -> None:
    run = current_run_or_none()
    if run is None:
        return  # between tasks: nothing to cancel
    run.request_cancel("revoked")
    raise JobCancelled("revoked")


def _install_cancel_handler(**_: Any) -> None:
    """``worker_process_init``: in each pool child, turn :data:`CANCEL_SIGNAL` into a
    cancellation of the run in progress."""
    signal.signal(getattr(signal, CANCEL_SIGNAL), _cancel_handler)


def _mark_process_dead(**_: Any) -> None:
    """``worker_process_shutdown``: drop this child's live gauges from the multiprocess files,
    so the ``live*`` gauges (in progress, oldest run) no longer count it. A killed child runs
    nothing: the main process marks it dead too (:class:`ReapDeadChildren`)."""
    mark_process_dead(os.getpid())


_HANDLERS = _SharedHandlers()
