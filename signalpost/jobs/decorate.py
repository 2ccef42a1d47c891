"""The decorator form of ``monitored_job``: each call of the function is a monitored run,
retried as the policy says (see :class:`~signalpost.jobs.monitor.MonitoredJob`)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, ParamSpec, Protocol

from signalpost.jobs.run import JobRun

__all__ = ["RunFactory", "monitored_function"]

P = ParamSpec("P")


class RunFactory(Protocol):
    """Makes a fresh run for one call (:meth:`MonitoredJob.new_run`)."""

    def new_run(self, *args: Any, **kwargs: Any) -> JobRun:
        """Return a fresh, not yet started run for a call with these arguments."""
        ...


def monitored_function(job: RunFactory, fn: Callable[P, Any], *, single: bool) -> Callable[P, Any]:
    """Wrap ``fn`` (sync or async) so that each call runs in a run of ``job``; ``single``: one
    attempt, no attempts loop needed."""
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def async_wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
            if single:
                async with job.new_run(*args, **kwargs):
                    return await fn(*args, **kwargs)
            async with job.new_run(*args, **kwargs) as run:
                async for attempt in run.attempts():
                    async with attempt:
                        return await fn(*args, **kwargs)
            raise AssertionError("unreachable")  # pragma: no cover

        return async_wrapper

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
        if single:
            with job.new_run(*args, **kwargs):
                return fn(*args, **kwargs)
        with job.new_run(*args, **kwargs) as run:
            for attempt in run.attempts():
                with attempt:
                    return fn(*args, **kwargs)
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper
