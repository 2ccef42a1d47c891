"""``monitored_job``: one wrapper for background jobs, as a decorator or a context manager.

::

    @monitored_job("ai_matching", retry=RetryPolicy(max_attempts=5, attempt_timeout=600))
    async def score(batch_id: str) -> None:
        run = current_run()
        ...

    with monitored_job("parse_resume", job_id=resume_id, params={"resume": resume_id}) as run:
        for i, page in enumerate(pages):
            run.progress(i, len(pages))

Every call or ``with`` creates a fresh :class:`JobRun`, so one wrapper object is safe to share
between threads and tasks and to nest.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, ParamSpec, TypeVar, overload

from opentelemetry.context import Context

from signalpost.failsafe import note_failure
from signalpost.jobs.backlog import finite_time
from signalpost.jobs.decorate import monitored_function
from signalpost.jobs.options import EnqueuedAt, JobOptions, job_options
from signalpost.jobs.propagation import extract_context
from signalpost.jobs.retry import NO_RETRY, RetryPolicy
from signalpost.jobs.run import Delivery, JobRun, current_run_or_none
from signalpost.jobs.services import SharedServices
from signalpost.runtime import Runtime

__all__ = ["MonitoredJob", "monitored_job"]

P = ParamSpec("P")
R = TypeVar("R")

_COLLABORATORS = ("registry", "tracer_provider", "classifier", "scrubber", "clock", "running")

ParentLike = Context | Mapping[str, str] | None


def _unix_time(value: object) -> float | None:
    """A finite Unix time from a number or a datetime (naive: local time); else ``None``."""
    if isinstance(value, datetime):
        return value.timestamp()
    return finite_time(value)


class MonitoredJob:
    """Monitor a background job: ``@monitored_job(...)``, ``with`` or ``async with``.

    ``monitored_job`` is this class. Each call of the decorated function or each ``with``
    makes a fresh :class:`JobRun`.

    Args:
        job_type: Low-cardinality name of the kind of job (``"ai_matching"``); a metric label.
        job_id: ID of this run (generated when absent). In decorator form it may be a
            callable receiving the call's arguments. Never a metric label.
        params: Parameters of the run, scrubbed before they reach spans and error records;
            in decorator form optionally a callable receiving the call's arguments.
        parent: Trace context of the code that enqueued the job: a carrier dict from
            :func:`inject_context` (carried in the queue payload) or an OpenTelemetry
            ``Context``; in decorator form optionally a callable receiving the call's
            arguments. The run span becomes its child.
        retry: Attempts, back-off, retried error classes and timeouts; one attempt by default.
            The decorator retries by calling the function again; the ``with`` form records a
            single attempt unless the body loops over :meth:`JobRun.attempts`.
        options: When the job was enqueued and in which queue (its wait), how often progress
            is reported, the propagator, error reporter and logger (:class:`JobOptions`).
        runtime: Where the job records: the registry, tracer provider, classifier (the
            error class of failures), scrubber, clock (durations, deadlines, back-off) and
            running-jobs list (default: :func:`signalpost.runtime.current` on the first run).
        **deprecated: The keywords that came before ``options=`` (``enqueued_at``, ``queue``,
            ``progress_interval``, ``propagator``, ``reporter``, ``logger``) and ``runtime=``
            (``registry``, ``tracer_provider``, ``classifier``, ``scrubber``, ``clock``,
            ``running``): they work for one release, with one :class:`DeprecationWarning`.

    The runtime is resolved on the first run, not at construction, so decorating at import
    time registers nothing and a job decorated before set-up still uses what set-up
    installed.
    """

    def __init__(
        self,
        job_type: str,
        *,
        job_id: str | Callable[..., str] | None = None,
        params: Mapping[str, Any] | Callable[..., Mapping[str, Any]] | None = None,
        parent: ParentLike | Callable[..., ParentLike] = None,
        retry: RetryPolicy | None = None,
        options: JobOptions | None = None,
        runtime: Runtime | None = None,
        **deprecated: Any,
    ) -> None:
        if not isinstance(job_type, str) or not job_type:
            raise ValueError("job_type must be a non-empty string")
        options, given = job_options("monitored_job", options, deprecated, _COLLABORATORS)
        self.job_type = job_type
        self.retry = retry or NO_RETRY
        self._job_id = job_id
        self._params = params
        self._parent = parent
        self._enqueued_at = options.enqueued_at
        self._queue = options.queue
        self._propagator = options.propagator
        self._services = SharedServices(
            runtime,
            given,
            reporter=options.reporter,
            logger=options.logger,
            progress_interval=options.progress_interval,
        )

    # ------------------------------------------------------------------ runs

    def new_run(self, *args: Any, **kwargs: Any) -> JobRun:
        """Return a fresh, not yet started run (arguments feed callable ``job_id``/``params``)."""
        job_id = self._job_id(*args, **kwargs) if callable(self._job_id) else self._job_id
        params = self._params(*args, **kwargs) if callable(self._params) else self._params
        parent = self._parent(*args, **kwargs) if callable(self._parent) else self._parent
        enqueued = self._enqueued_at
        if callable(enqueued):
            try:
                enqueued = enqueued(*args, **kwargs)
            except Exception as failure:
                note_failure("enqueued_at", failure)
                enqueued = None
        return self._run(
            job_id, params, parent, first_attempt=1, enqueued_at=enqueued, queue=self._queue
        )

    def queued_run(
        self,
        *,
        job_id: str,
        params: Mapping[str, Any] | None = None,
        parent: ParentLike = None,
        attempt: int = 1,
        enqueued_at: EnqueuedAt = None,
        queue: str | None = None,
    ) -> JobRun:
        """Return a fresh, not yet started run for one delivery of a task queue's job.

        For integrations that drive runs from a queue's hooks (:meth:`JobRun.start`,
        :meth:`JobRun.hand_off_retry`, :meth:`JobRun.finish`) rather than by calling the job.

        Args:
            job_id: The queue's ID of the job (the same across its retries).
            params: The job's parameters (scrubbed before they reach any telemetry).
            parent: Trace context carried in the message (carrier dict or ``Context``).
            attempt: The attempt this delivery is (1 for the first; the queue's retry count
                plus one): a later attempt continues a run started earlier, elsewhere.
            enqueued_at: Unix time the message was enqueued, or for a retry the time it was
                due: the wait until the start is recorded.
            queue: The queue the message came from (the wrapper's ``queue`` if ``None``).
        """
        return self._run(
            job_id,
            params,
            parent,
            first_attempt=attempt,
            enqueued_at=enqueued_at,
            queue=self._queue if queue is None else queue,
        )

    def _run(
        self,
        job_id: str | None,
        params: Mapping[str, Any] | None,
        parent: ParentLike,
        *,
        first_attempt: int,
        enqueued_at: EnqueuedAt,
        queue: str,
    ) -> JobRun:
        context: Context | None
        if parent is None or isinstance(parent, Context):
            context = parent
        else:
            context = extract_context(parent, propagator=self._propagator)
        delivery = Delivery(
            job_id,
            params,
            context,
            parent is not None,
            first_attempt,
            None if enqueued_at is None else _unix_time(enqueued_at),
            queue,
        )
        return JobRun(self.job_type, delivery, policy=self.retry, services=self._services.get())

    # ------------------------------------------------------------------ context manager

    def __enter__(self) -> JobRun:
        return self.new_run().__enter__()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        run = current_run_or_none()
        if run is not None:
            run.__exit__(exc_type, exc, tb)

    async def __aenter__(self) -> JobRun:
        return await self.new_run().__aenter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        run = current_run_or_none()
        if run is not None:
            await run.__aexit__(exc_type, exc, tb)

    # ------------------------------------------------------------------ decorator

    @overload
    def __call__(
        self, fn: Callable[P, Coroutine[Any, Any, R]]
    ) -> Callable[P, Coroutine[Any, Any, R]]: ...
    @overload
    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]: ...

    def __call__(self, fn: Callable[P, Any]) -> Callable[P, Any]:
        """Wrap ``fn`` so that each call is a monitored run, retried as the policy says.

        The function reaches its run through :func:`current_run`.
        """
        return monitored_function(self, fn, single=self.retry.max_attempts == 1)

    def with_overrides(self, given: Mapping[str, Any]) -> MonitoredJob:
        """This job, with ``given`` collaborators overriding its runtime's when it resolves them
        (what the integrations forward of the deprecated keywords they were given)."""
        if given:
            self._services = self._services.overridden(given)
        return self

    def __repr__(self) -> str:
        return f"monitored_job({self.job_type!r}, retry={self.retry!r})"



monitored_job = MonitoredJob
"""Monitor a background job: decorator, ``with`` or ``async with`` (see :class:`MonitoredJob`)."""
