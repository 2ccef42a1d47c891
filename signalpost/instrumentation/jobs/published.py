"""A running run as a queue worker publishes it for another process's running-jobs endpoint.

Celery workers store it as a task's ``PROGRESS`` state; arq workers in a Redis hash. Both sides
agree on this one JSON-able form: :func:`publishable` writes it (scrubbing the progress
message before it leaves the process) and :func:`from_published` reads it back, trusting
nothing in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from signalpost.instrumentation.jobs.running import RunningJob
from signalpost.instrumentation.jobs.state import JobState
from signalpost.instrumentation.scrub import Scrubber

__all__ = ["MARK", "change_key", "finite", "from_published", "publishable"]

MARK = "signalpost"
"""Key set to 1 in every published form (tells it from a task's own state)."""

_MAX_MESSAGE = 500
_MAX_TEXT = 256


def finite(value: Any) -> float | None:
    """``value`` as a float if it is a finite number (not a bool), else ``None``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if number - number == 0 else None


def publishable(
    job: RunningJob, scrubber: Scrubber, *, worker: str | None = None
) -> dict[str, Any]:
    """The published form of ``job`` (its progress message scrubbed and cut to 500 characters)."""
    message = job.message
    if message is not None:
        message = scrubber.scrub_string(message[: _MAX_MESSAGE * 4])[:_MAX_MESSAGE]
    meta: dict[str, Any] = {
        MARK: 1,
        "job_type": job.job_type,
        "started_at": job.started_at,
        "attempt": job.attempt,
        "done": job.done,
        "total": job.total,
        "message": message,
        "at": job.last_progress_at,
        "trace_id": job.trace_id,
        "cancel_requested": job.cancel_requested,
    }
    if worker is not None:
        meta["worker"] = worker
    return meta


def change_key(meta: Mapping[str, Any]) -> tuple[Any, ...]:
    """What must differ for a new publication of the same run to be worth storing."""
    return (
        meta.get("attempt"),
        meta.get("done"),
        meta.get("total"),
        meta.get("message"),
        meta.get("cancel_requested"),
    )


def _text(value: Any) -> str | None:
    return value[:_MAX_TEXT] if isinstance(value, str) and value else None


def from_published(
    job_id: str,
    meta: Mapping[str, Any],
    *,
    now: float,
    job_type: str | None = None,
    worker: str | None = None,
    started_at: float | None = None,
) -> RunningJob:
    """The :class:`RunningJob` a published form describes.

    Args:
        job_id: The run's job ID.
        meta: The published form; anything missing or of the wrong type is left out.
        now: Unix time now (for the ages).
        job_type: The job type, when the queue knows it better than the form.
        worker: The worker, when the queue knows it better than the form.
        started_at: The start time to use when the form has none.
    """
    started = finite(meta.get("started_at")) or started_at or now
    at = finite(meta.get("at")) or started
    attempt = meta.get("attempt")
    attempt = None if isinstance(attempt, bool) else attempt
    message = meta.get("message")
    return RunningJob(
        job_id=job_id,
        job_type=job_type or _text(meta.get("job_type")) or "",
        state=JobState.RUNNING,
        attempt=attempt if isinstance(attempt, int) and attempt > 0 else 1,
        started_at=started,
        age=max(0.0, now - started),
        since_progress=max(0.0, now - at),
        done=finite(meta.get("done")),
        total=finite(meta.get("total")),
        message=message[:_MAX_MESSAGE] if isinstance(message, str) else None,
        cancel_requested=meta.get("cancel_requested") is True,
        last_progress_at=at,
        trace_id=_text(meta.get("trace_id")),
        worker=worker or _text(meta.get("worker")),
    )
