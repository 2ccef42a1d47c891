"""A Celery task's ``run`` wrapped as a monitored run (retries re-sent through the broker)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from celery import Task
from celery.exceptions import Ignore, Retry
from opentelemetry import propagate

from signalpost.integrations.celery.waiting import enqueued_at, queue_of
from signalpost.integrations.progress import ProgressPublisher
from signalpost.jobs.interrupts import JobCancelled
from signalpost.jobs.monitor import MonitoredJob
from signalpost.jobs.propagation import inject_context

__all__ = ["monitored_run"]



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


def monitored_run(
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
            publisher.begin(job_run)
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
