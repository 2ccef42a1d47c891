"""Celery tasks as monitored runs, in one call: :func:`instrument`.

::

    app = Celery("proj", broker="redis://...")
    signalpost.celery.instrument(app, retry=RetryPolicy(max_attempts=5))

Every task (or the ones named) becomes a monitored run: job type = task name, job ID = task
ID, the lifecycle metrics, log events and error records of :mod:`signalpost.jobs`,
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

import threading
from collections.abc import Callable, Collection, Mapping
from typing import Any

from signalpost._extras import missing_extra

try:
    from celery import Celery, Task
except ImportError as error:  # pragma: no cover - exercised by tests/test_extras.py
    raise missing_extra("celery", error) from error


from signalpost.integrations.celery.handlers import CANCEL_SIGNAL, HANDLERS
from signalpost.integrations.celery.jobs import (
    CeleryRunningJobs,
    has_result_backend,
    progress_publisher,
)
from signalpost.integrations.celery.pool import ReapDeadChildren
from signalpost.integrations.celery.waiting import (
    backlog,
)
from signalpost.integrations.celery.wrapper import monitored_run
from signalpost.integrations.contract import MonitorOptions, ProgressSettings, monitor_options
from signalpost.integrations.progress import ProgressPublisher
from signalpost.integrations.queuelogs import CELERY_LOGGERS, scrub_loggers
from signalpost.jobs.monitor import MonitoredJob
from signalpost.jobs.retry import RetryPolicy
from signalpost.runtime import Runtime

__all__ = [
    "CANCEL_SIGNAL",
    "CeleryInstrumentation",
    "backlog",
    "cancel",
    "instrument",
    "running_jobs",
]

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
        monitor_options: MonitorOptions,
        publisher: ProgressPublisher | None = None,
    ) -> None:
        self.app = app
        self._names = None if tasks is None else frozenset(tasks)
        self._retry = retry
        self._policies = dict(policies)
        self._params = params
        self._options = monitor_options
        self._publisher = publisher
        self._monitors: dict[str, MonitoredJob] = {}
        self._originals: dict[str, Callable[..., Any]] = {}
        self._lock = threading.Lock()
        self._release: Callable[[], None] | None = HANDLERS.acquire()

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
            monitor = self._options.job(name, policy)
            original = task.run
            self._monitors[name] = monitor
            self._originals[name] = original
        publisher = self._publisher
        if publisher is not None and not has_result_backend(self.app):
            publisher = None  # no result backend: nowhere to publish progress
        task.run = monitored_run(task, original, monitor, self._params, publisher)

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
    progress: ProgressSettings | None = None,
    runtime: Runtime | None = None,
    **deprecated: Any,
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
        progress: How often a run reports progress, and how often a running task's progress
            is published to the result backend (custom state ``PROGRESS``, read by
            :func:`running_jobs` across workers; needs a result backend)
            (:class:`~signalpost.integrations.ProgressSettings`).
        runtime: As for :class:`~signalpost.jobs.MonitoredJob`.
        **deprecated: The keywords that came before ``progress=`` (``progress_interval``,
            ``publish_interval``) and ``runtime=`` (``registry``, ``clock`` ...): they work
            for one release, with one :class:`DeprecationWarning`.

    Returns:
        The :class:`CeleryInstrumentation`; tasks registered later are wrapped when the app
        is finalized (before a worker runs any task).
    """
    options, settings = monitor_options(
        "signalpost.celery.instrument", progress, runtime, deprecated
    )
    publish_interval = settings.publish_interval
    instrumentation = CeleryInstrumentation(
        app,
        tasks=tasks,
        retry=retry,
        policies=policies or {},
        params=params,
        monitor_options=options,
        publisher=None
        if publish_interval is None
        else progress_publisher(app, interval=publish_interval, scrubber=options.scrubber),
    )
    scrub_loggers(CELERY_LOGGERS, options.scrubber)
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

    ``signalpost.setup(web_app, jobs=JobSources(running=running_jobs(celery_app)))`` serves them at
    ``/jobs`` (and ``python -m signalpost jobs URL`` shows them): task ID, task name, worker
    hostname and start time from ``inspect().active()`` (waiting ``timeout`` seconds for the
    workers' replies), progress from the ``PROGRESS`` state the workers publish
    (``instrument(progress=ProgressSettings(publish_interval=...))``); cancel revokes through
    :func:`cancel`.
    """
    return CeleryRunningJobs(app, cancel=cancel, timeout=timeout)
