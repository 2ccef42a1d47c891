"""arq jobs as monitored runs: :func:`instrument` (or its shorthand
:func:`monitored_functions`) and :func:`enqueue`.

::

    monitoring = signalpost.arq.instrument([score, digest], retry=RetryPolicy())

    class WorkerSettings:
        functions = monitoring.functions  # or signalpost.arq.monitored_functions([...])
        allow_abort_jobs = True

    # where jobs are enqueued (a request handler):
    await signalpost.arq.enqueue(redis, "score", batch_id)

Each job function is wrapped so that every execution is a monitored run: job type = function
name, job ID = arq's job ID, attempt = arq's ``job_try``. arq has no message headers, so the
trace context travels as one extra keyword argument (:data:`TRACE_KWARG`) that
:func:`enqueue` adds and the wrapper removes before calling the function. A failure the retry
policy retries is handed to arq as ``Retry(defer=<back-off>)`` (``max_tries`` is the policy's
``max_attempts``), so the pending retry lives in Redis; ``Job.abort()`` (with
``allow_abort_jobs``) cancels the task, recorded as ``cancelled``.

Each worker also publishes its runs in progress to Redis, so that :func:`running_jobs` lists the
runs of every worker in another process (the web app's running-jobs endpoint and terminal view)
and cancels them through arq's abort. arq's own log lines (a job's arguments, result and
exception) are scrubbed in place (:mod:`~signalpost.integrations.queuelogs`). See
``docs/arq.md``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from signalpost._extras import missing_extra

try:
    from arq.connections import ArqRedis, RedisSettings
    from arq.jobs import Job
    from arq.worker import Function, func
except ImportError as error:  # pragma: no cover - exercised by tests/test_extras.py
    raise missing_extra("arq", error) from error

from signalpost.integrations.arq.jobs import ArqRunningJobs, RunPublisher
from signalpost.integrations.arq.wrapper import TRACE_KWARG, ParamsOf, monitored_run
from signalpost.integrations.contract import (
    MonitorOptions,
    ProgressSettings,
    monitor_options,
    monitor_options_of,
)
from signalpost.integrations.queuelogs import ARQ_LOGGERS, scrub_loggers
from signalpost.jobs.backlog_redis import ArqBacklog
from signalpost.jobs.propagation import inject_context
from signalpost.jobs.retry import RetryPolicy
from signalpost.runtime import Runtime

__all__ = [
    "TRACE_KWARG",
    "ArqInstrumentation",
    "ArqRunningJobs",
    "backlog",
    "enqueue",
    "instrument",
    "monitored_functions",
    "running_jobs",
]

class ArqInstrumentation:
    """What :func:`instrument` set up: the monitored ``functions`` for ``WorkerSettings``, and
    the undo.

    After :meth:`uninstrument` the returned functions call the job coroutines directly (arq
    keeps the ``Function`` objects it was given, so they cannot be swapped back); other
    installations and the scrubbing of arq's log lines (shared by all) stay.
    """

    def __init__(self, publisher: RunPublisher | None) -> None:
        self.functions: list[Function] = []
        self.publisher = publisher
        self.installed = True

    def uninstrument(self) -> None:
        """Stop monitoring this installation's functions (idempotent)."""
        self.installed = False


def instrument(
    functions: Sequence[Function | Callable[..., Any]],
    *,
    retry: RetryPolicy | None = None,
    policies: Mapping[str, RetryPolicy] | None = None,
    params: ParamsOf | None = None,
    progress: ProgressSettings | None = None,
    runtime: Runtime | None = None,
    **deprecated: Any,
) -> ArqInstrumentation:
    """Monitor arq job functions: every execution of the returned
    :attr:`ArqInstrumentation.functions` is a monitored run (the shape of
    :func:`signalpost.celery.instrument`).

    Args:
        functions: Job coroutines (``async def f(ctx, ...)``) or ``arq.worker.func(...)``.
        retry: Retry policy of every function; one attempt by default. It sets the
            function's ``max_tries``, and its back-off becomes arq's ``Retry(defer=...)``.
        policies: Retry policies per function name, overriding ``retry``.
        params: Returns the run parameters from the function name, positional and keyword
            arguments; by default the arguments bound to the function's parameter names.
        progress: How often a run reports progress, and how often the worker's runs in
            progress are published to Redis (read by :func:`running_jobs` across workers)
            (:class:`~signalpost.integrations.ProgressSettings`).
        runtime: As for :class:`~signalpost.jobs.MonitoredJob`.
        **deprecated: The keywords that came before ``progress=`` (``progress_interval``,
            ``publish_interval``) and ``runtime=`` (``registry``, ``clock`` ...): they work
            for one release, with one :class:`DeprecationWarning`.
    """
    options, settings = monitor_options("signalpost.arq.instrument", progress, runtime, deprecated)
    return _install(functions, retry, policies or {}, params, settings.publish_interval, options)


def monitored_functions(
    functions: Sequence[Function | Callable[..., Any]],
    *,
    retry: RetryPolicy | None = None,
    policies: Mapping[str, RetryPolicy] | None = None,
    params: ParamsOf | None = None,
    progress: ProgressSettings | None = None,
    **monitor_options: Any,
) -> list[Function]:
    """``instrument(functions, ...).functions``: the monitored arq ``Function`` objects.

    Args:
        functions, retry, policies, params, progress: As for :func:`instrument`.
        monitor_options: Passed to :class:`~signalpost.jobs.MonitoredJob` (``runtime``,
            ``logger``...; the deprecated keywords of :func:`instrument` warn here).
    """
    options, settings = monitor_options_of(
        "signalpost.arq.monitored_functions", progress, monitor_options
    )
    publish_interval = settings.publish_interval
    return _install(functions, retry, policies or {}, params, publish_interval, options).functions


def _install(
    functions: Sequence[Function | Callable[..., Any]],
    retry: RetryPolicy | None,
    policies: Mapping[str, RetryPolicy],
    params: ParamsOf | None,
    publish_interval: float | None,
    options: MonitorOptions,
) -> ArqInstrumentation:
    scrubber = options.scrubber
    scrub_loggers(ARQ_LOGGERS, scrubber)
    installation = ArqInstrumentation(
        None
        if publish_interval is None
        else RunPublisher(interval=publish_interval, scrubber=scrubber)
    )
    for entry in functions:
        function = entry if isinstance(entry, Function) else func(entry)
        policy = policies.get(function.name, retry) or RetryPolicy(max_attempts=1)
        monitor = options.job(function.name, policy)
        installation.functions.append(
            dataclasses.replace(
                function,
                coroutine=monitored_run(function, monitor, params, installation),
                max_tries=policy.max_attempts,
            )
        )
    return installation


async def enqueue(redis: ArqRedis, function: str, *args: Any, **kwargs: Any) -> Job | None:
    """``redis.enqueue_job(...)`` with the current trace context added for the job's run span.

    Takes the same arguments as ``ArqRedis.enqueue_job`` (``_job_id``, ``_defer_by``...).
    """
    options: dict[str, Any] = {TRACE_KWARG: inject_context(), **kwargs}
    return await redis.enqueue_job(function, *args, **options)


def backlog(redis_url: str, queue_name: str = "arq:queue", *, scan: int = 1000) -> ArqBacklog:
    """What waits in the arq queue ``queue_name`` (due jobs no worker has taken yet), for
    :func:`~signalpost.jobs.backlog.watch_backlog`::

        watch_backlog(signalpost.arq.backlog("redis://localhost:6379"))
    """
    return ArqBacklog(redis_url, queue_name, scan=scan)


def running_jobs(redis: str | RedisSettings, *, timeout: float = 2.0) -> ArqRunningJobs:
    """The runs in progress on every arq worker using ``redis``, for the running-jobs endpoint.

    ``signalpost.setup(app, jobs=JobSources(running=signalpost.arq.running_jobs(url)))``
    makes the app's ``/jobs`` list them (with each one's worker and progress) and cancel them
    by ID through arq's abort (the workers need ``allow_abort_jobs``).

    Args:
        redis: The workers' Redis: a ``redis://`` URL or arq's ``RedisSettings``.
        timeout: Seconds to wait for Redis before the endpoint answers 503.
    """
    return ArqRunningJobs(redis, timeout=timeout)


