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

import functools
import inspect
import logging
import threading
from collections.abc import Callable, Coroutine, Mapping
from types import TracebackType
from typing import Any, ParamSpec, TypeVar, overload

from opentelemetry.context import Context
from opentelemetry.propagators.textmap import TextMapPropagator
from opentelemetry.trace import TracerProvider
from prometheus_client import CollectorRegistry

from signalpost.instrumentation.errors import ErrorReporter
from signalpost.instrumentation.jobs.clock import Clock
from signalpost.instrumentation.jobs.deps import JobDeps, resolve
from signalpost.instrumentation.jobs.propagation import extract_context
from signalpost.instrumentation.jobs.registry import JobRegistry
from signalpost.instrumentation.jobs.retry import NO_RETRY, RetryPolicy
from signalpost.instrumentation.jobs.run import JobRun, current_run
from signalpost.instrumentation.scrub import Scrubber

__all__ = ["MonitoredJob", "monitored_job"]

P = ParamSpec("P")
R = TypeVar("R")

ParentLike = Context | Mapping[str, str] | None
_OrFromCall = Any  # a value, or a callable computing it from the decorated call's arguments


class MonitoredJob:
    """A job type's monitoring: usable as ``@decorator``, ``with`` and ``async with``.

    Build it with :func:`monitored_job`. Collaborators are resolved on first use, not at
    construction, so decorating at import time registers nothing.
    """

    def __init__(
        self,
        job_type: str,
        *,
        job_id: str | Callable[..., str] | None = None,
        params: Mapping[str, Any] | Callable[..., Mapping[str, Any]] | None = None,
        parent: ParentLike | Callable[..., ParentLike] = None,
        retry: RetryPolicy | None = None,
        registry: CollectorRegistry | None = None,
        tracer_provider: TracerProvider | None = None,
        clock: Clock | None = None,
        jobs: JobRegistry | None = None,
        reporter: ErrorReporter | None = None,
        logger: logging.Logger | None = None,
        scrubber: Scrubber | None = None,
        progress_interval: float = 30.0,
        propagator: TextMapPropagator | None = None,
    ) -> None:
        if not isinstance(job_type, str) or not job_type:
            raise ValueError("job_type must be a non-empty string")
        if not progress_interval >= 0:
            raise ValueError("progress_interval must be >= 0 seconds")
        self.job_type = job_type
        self.retry = retry or NO_RETRY
        self._job_id = job_id
        self._params = params
        self._parent = parent
        self._propagator = propagator
        self._settings: dict[str, Any] = {
            "registry": registry,
            "tracer_provider": tracer_provider,
            "clock": clock,
            "jobs": jobs,
            "reporter": reporter,
            "logger": logger,
            "scrubber": scrubber,
            "progress_interval": progress_interval,
        }
        self._deps: JobDeps | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ runs

    def _resolve(self) -> JobDeps:
        deps = self._deps
        if deps is None:
            with self._lock:
                deps = self._deps
                if deps is None:
                    deps = self._deps = resolve(policy=self.retry, **self._settings)
        return deps

    def new_run(self, *args: Any, **kwargs: Any) -> JobRun:
        """Return a fresh, not yet started run (arguments feed callable ``job_id``/``params``)."""
        job_id = self._job_id(*args, **kwargs) if callable(self._job_id) else self._job_id
        params = self._params(*args, **kwargs) if callable(self._params) else self._params
        parent = self._parent(*args, **kwargs) if callable(self._parent) else self._parent
        context: Context | None
        if parent is None or isinstance(parent, Context):
            context = parent
        else:
            context = extract_context(parent, propagator=self._propagator)
        return JobRun(
            self.job_type,
            job_id=job_id,
            params=params,
            policy=self.retry,
            deps=self._resolve(),
            parent=context,
            remote_parent=parent is not None,
        )

    # ------------------------------------------------------------------ context manager

    def __enter__(self) -> JobRun:
        return self.new_run().__enter__()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        run = current_run()
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
        run = current_run()
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
        single = self.retry.max_attempts == 1  # no attempts loop needed
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
                if single:
                    async with self.new_run(*args, **kwargs):
                        return await fn(*args, **kwargs)
                async with self.new_run(*args, **kwargs) as run:
                    async for attempt in run.attempts():
                        async with attempt:
                            return await fn(*args, **kwargs)
                raise AssertionError("unreachable")  # pragma: no cover

            return async_wrapper

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
            if single:
                with self.new_run(*args, **kwargs):
                    return fn(*args, **kwargs)
            with self.new_run(*args, **kwargs) as run:
                for attempt in run.attempts():
                    with attempt:
                        return fn(*args, **kwargs)
            raise AssertionError("unreachable")  # pragma: no cover

        return wrapper

    def __repr__(self) -> str:
        return f"monitored_job({self.job_type!r}, retry={self.retry!r})"


def monitored_job(
    job_type: str,
    *,
    job_id: str | Callable[..., str] | None = None,
    params: Mapping[str, Any] | Callable[..., Mapping[str, Any]] | None = None,
    parent: ParentLike | Callable[..., ParentLike] = None,
    retry: RetryPolicy | None = None,
    registry: CollectorRegistry | None = None,
    tracer_provider: TracerProvider | None = None,
    clock: Clock | None = None,
    jobs: JobRegistry | None = None,
    reporter: ErrorReporter | None = None,
    logger: logging.Logger | None = None,
    scrubber: Scrubber | None = None,
    progress_interval: float = 30.0,
    propagator: TextMapPropagator | None = None,
) -> MonitoredJob:
    """Monitor a background job: decorator, ``with`` or ``async with``.

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
        registry: prometheus-client registry; the global ``REGISTRY`` by default.
        tracer_provider: OpenTelemetry tracer provider; the global one by default.
        clock: Time source and sleeper for durations, deadlines and back-off.
        jobs: Running-jobs registry (list, cancel by ID); the process-wide one by default.
        reporter: Builds the error record of failed runs; by default one logging on
            ``signalpost.jobs`` and counting ``signalpost_errors_total`` in ``registry``.
        logger: Logger for job events; ``signalpost.jobs`` by default.
        scrubber: Removes secrets from parameters and context.
        progress_interval: Least seconds between two progress log records / span events
            (the run's first report and 100 % are always emitted).
        propagator: Text-map propagator for ``parent`` carriers; the global one by default.

    Returns:
        A :class:`MonitoredJob`; each call or ``with`` makes a fresh :class:`JobRun`.
    """
    return MonitoredJob(
        job_type,
        job_id=job_id,
        params=params,
        parent=parent,
        retry=retry,
        registry=registry,
        tracer_provider=tracer_provider,
        clock=clock,
        jobs=jobs,
        reporter=reporter,
        logger=logger,
        scrubber=scrubber,
        progress_interval=progress_interval,
        propagator=propagator,
    )
