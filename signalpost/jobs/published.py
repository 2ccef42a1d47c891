"""A running run as a queue worker publishes it for another process's running-jobs endpoint.

Celery workers store it as a task's ``PROGRESS`` state; arq workers in a Redis hash. The form
is the one wire form of a running job (:mod:`signalpost.jobs.wire`) with
:data:`MARK` set: :func:`publishable` writes it (scrubbing the progress message before it
leaves the process) and :func:`from_published` reads it back, trusting nothing in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from signalpost.errors.scrub import Scrubber
from signalpost.jobs.running import RunningJob
from signalpost.jobs.wire import finite, from_json, scrubbed, to_json

__all__ = ["MARK", "change_key", "finite", "from_published", "publishable"]

MARK = "signalpost"
"""Key set to 1 in every published form (tells it from a task's own state)."""

def publishable(
    job: RunningJob, scrubber: Scrubber, *, worker: str | None = None
) -> dict[str, Any]:
    """The published form of ``job`` (its progress message scrubbed and cut to 500 characters)."""
    form = to_json(scrubbed(job, scrubber))
    if worker is not None:
        form["worker"] = worker
    return {MARK: 1, **form}


def change_key(meta: Mapping[str, Any]) -> tuple[Any, ...]:
    """What must differ for a new publication of the same run to be worth storing."""
    progress = meta.get("progress")
    progress = progress if isinstance(progress, Mapping) else {}
    return (
        meta.get("attempt"),
        progress.get("done"),
        progress.get("total"),
        progress.get("message"),
        meta.get("cancel_requested"),
    )


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
    if started_at is not None and finite(meta.get("started_at")) is None:
        meta = {**meta, "started_at": started_at}
    return from_json(meta, now=now, job_id=job_id, job_type=job_type, worker=worker)
