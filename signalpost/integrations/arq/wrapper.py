"""One arq job execution as a monitored run: the coroutine :func:`monitored_run` puts in the
``Function`` that :func:`signalpost.integrations.arq.instrument.instrument` returns."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from arq.connections import ArqRedis
from arq.worker import Function, Retry

from signalpost.integrations.arq.jobs import RunPublisher
from signalpost.jobs.monitor import MonitoredJob

__all__ = ["TRACE_KWARG", "Installation", "ParamsOf", "monitored_run"]

TRACE_KWARG = "signalpost_trace"
"""The keyword argument that carries the trace context of the code that enqueued the job."""

ParamsOf = Callable[[str, tuple[Any, ...], dict[str, Any]], Mapping[str, Any]]


class Installation(Protocol):
    """What the wrapper reads of the installation it belongs to."""

    @property
    def installed(self) -> bool:
        """``False`` once uninstrumented: the job function is called directly."""
        ...

    @property
    def publisher(self) -> RunPublisher | None:
        """Where runs in progress are published, if anywhere."""
        ...


def _binder(coroutine: Callable[..., Any]) -> Callable[[tuple[Any, ...], dict[str, Any]], Any]:
    try:
        signature: inspect.Signature | None = inspect.signature(coroutine)
    except (TypeError, ValueError):
        signature = None
    plain = inspect.Parameter.POSITIONAL_OR_KEYWORD
    names = (
        [p.name for p in list(signature.parameters.values())[1:]]
        if signature is not None
        and signature.parameters
        and all(p.kind is plain for p in signature.parameters.values())
        else None
    )

    def bind(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Mapping[str, Any]:
        # The usual job signature, (ctx, a, b, ...) called as arq does: zip instead of
        # Signature.bind_partial, which costs several µs a job.
        if names is not None and len(args) <= len(names) and not kwargs.keys() - names:
            bound = dict(zip(names, args, strict=False))
            if not bound.keys() & kwargs.keys():
                bound.update(kwargs)
                return bound
        if signature is not None:
            try:
                bound = dict(signature.bind_partial(None, *args, **kwargs).arguments)
                bound.pop(next(iter(signature.parameters)), None)  # ctx
                return bound
            except (TypeError, StopIteration):
                pass
        return {"args": list(args), **kwargs}

    return bind


def _due(ctx: Mapping[str, Any]) -> float | None:
    """Since when the job waits: its score (the ms it became due: enqueue, deferral or retry),
    else its enqueue time."""
    score = ctx.get("score")
    if isinstance(score, int | float):
        return float(score) / 1000.0
    enqueued = ctx.get("enqueue_time")
    return enqueued.timestamp() if isinstance(enqueued, datetime) else None


def monitored_run(
    function: Function,
    monitor: MonitoredJob,
    params: ParamsOf | None,
    installation: Installation,
) -> Callable[..., Any]:
    coroutine = function.coroutine
    bind = _binder(coroutine)
    publisher = installation.publisher

    async def run(ctx: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        carrier = kwargs.pop(TRACE_KWARG, None)
        if not installation.installed:
            return await coroutine(ctx, *args, **kwargs)
        values = params(function.name, args, kwargs) if params is not None else bind(args, kwargs)
        job_run = monitor.queued_run(
            job_id=str(ctx.get("job_id")),
            params=values,
            parent=carrier if isinstance(carrier, dict) else None,
            attempt=int(ctx.get("job_try") or 1),
            enqueued_at=_due(ctx),
            queue=str(getattr(ctx.get("redis"), "default_queue_name", "") or ""),
        )
        pool = ctx.get("redis")
        async with job_run:
            if publisher is not None and isinstance(pool, ArqRedis):
                publisher.begin(job_run, pool)
            try:
                return await coroutine(ctx, *args, **kwargs)
            except Exception as exc:
                delay = job_run.hand_off_retry(exc)
                if delay is None:
                    raise
                raise Retry(defer=delay) from exc
            finally:
                if publisher is not None:
                    publisher.end(job_run.job_id)

    run.__name__ = getattr(coroutine, "__name__", function.name)
    run.__qualname__ = getattr(coroutine, "__qualname__", function.name)
    run.__doc__ = coroutine.__doc__
    return run
