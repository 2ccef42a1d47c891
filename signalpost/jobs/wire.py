"""The one wire form of a running job: :func:`to_json` and :func:`from_json`.

The running-jobs endpoint writes it, the ``jobs`` CLI reads it, and queue workers publish it
for another process's endpoint (Celery as a task's ``PROGRESS`` state, arq in a Redis hash):
one set of field names, so that they cannot drift apart. The form is the one ``docs/jobs.md``
documents for ``GET /jobs``: ``job_id``, ``job_type``, ``state``, ``attempt``, ``started_at``,
``age_seconds``, ``progress`` (``done``, ``total``, ``ratio``, ``message``, ``at``),
``seconds_since_progress``, ``trace_id``, ``cancel_requested``, ``worker`` and, for one run,
``attempts``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from signalpost.errors.scrub import Scrubber
from signalpost.jobs.running import AttemptRecord, RunningJob
from signalpost.jobs.state import JobState

__all__ = ["MAX_MESSAGE", "finite", "from_json", "scrubbed", "to_json"]

MAX_MESSAGE = 500
"""Characters of a progress message that leave the process."""
_MAX_TEXT = 256


def scrubbed(job: RunningJob, scrubber: Scrubber) -> RunningJob:
    """``job`` with its progress message scrubbed and cut to :data:`MAX_MESSAGE` characters
    (before it leaves the process)."""
    if job.message is None:
        return job
    message = scrubber.scrub_string(job.message[: MAX_MESSAGE * 4])[:MAX_MESSAGE]
    return dataclasses.replace(job, message=message)


def to_json(job: RunningJob, *, attempts: bool = False) -> dict[str, Any]:
    """The wire form of ``job`` (scrub it first with :func:`scrubbed`)."""
    progress: dict[str, Any] | None = None
    if job.done is not None:
        ratio = None
        if job.total is not None and job.total > 0:
            ratio = max(0.0, min(1.0, job.done / job.total))
        progress = {
            "done": job.done,
            "total": job.total,
            "ratio": ratio,
            "message": job.message,
            "at": job.last_progress_at,
        }
    form: dict[str, Any] = {
        "job_id": job.job_id,
        "job_type": job.job_type,
        "state": str(job.state),
        "attempt": job.attempt,
        "started_at": job.started_at,
        "age_seconds": job.age,
        "progress": progress,
        "seconds_since_progress": job.since_progress,
        "trace_id": job.trace_id,
        "cancel_requested": job.cancel_requested,
        "worker": job.worker,
    }
    if attempts:
        form["attempts"] = [dataclasses.asdict(a) for a in job.attempts]
        for entry in form["attempts"]:
            entry["delay_seconds"] = entry.pop("delay")
    return form


def from_json(
    raw: Mapping[str, Any],
    *,
    now: float | None = None,
    job_id: str | None = None,
    job_type: str | None = None,
    worker: str | None = None,
) -> RunningJob:
    """The :class:`RunningJob` a wire form describes, trusting nothing in it.

    Args:
        raw: The form; anything missing or of the wrong type is left out or defaulted.
        now: Unix time now: the ages are computed from the form's times (a published form,
            read later); ``None`` reads them as sent (``age_seconds``...).
        job_id, job_type, worker: Override the form's (the queue knows them better).

    Raises:
        ValueError: No job ID, neither given nor in the form.
    """
    progress = raw.get("progress")
    progress = progress if isinstance(progress, Mapping) else {}
    started = finite(raw.get("started_at"))
    if now is not None:
        started = started or now
        at = finite(progress.get("at")) or started
        age, since = max(0.0, now - started), max(0.0, now - at)
    else:
        started = started or 0.0
        at = finite(progress.get("at")) or started
        age = finite(raw.get("age_seconds")) or 0.0
        since = finite(raw.get("seconds_since_progress")) or 0.0
    identifier = job_id or _text(raw.get("job_id"))
    if identifier is None:
        raise ValueError("a running job without a job_id")
    attempt = raw.get("attempt")
    if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 1:
        attempt = 1
    message = progress.get("message")
    return RunningJob(
        job_id=identifier,
        job_type=job_type or _text(raw.get("job_type")) or "",
        state=_state(raw.get("state")),
        attempt=attempt,
        started_at=started,
        age=age,
        since_progress=since,
        done=finite(progress.get("done")),
        total=finite(progress.get("total")),
        message=message[:MAX_MESSAGE] if isinstance(message, str) else None,
        cancel_requested=raw.get("cancel_requested") is True,
        last_progress_at=at,
        trace_id=_text(raw.get("trace_id")),
        attempts=_attempts(raw.get("attempts")),
        worker=worker or _text(raw.get("worker")),
    )


def finite(value: Any) -> float | None:
    """``value`` as a float if it is a finite number (not a bool), else ``None``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if number - number == 0 else None


def _text(value: Any) -> str | None:
    return value[:_MAX_TEXT] if isinstance(value, str) and value else None


def _state(value: Any) -> JobState:
    try:
        return JobState(value)
    except ValueError:
        return JobState.RUNNING


def _attempts(value: Any) -> tuple[AttemptRecord, ...]:
    if not isinstance(value, list):
        return ()
    found = []
    for entry in value:
        if isinstance(entry, Mapping) and isinstance(entry.get("number"), int):
            found.append(
                AttemptRecord(
                    number=entry["number"],
                    delay=finite(entry.get("delay_seconds")) or 0.0,
                    ended=entry.get("ended") is True,
                    error_class=_text(entry.get("error_class")),
                    error_type=_text(entry.get("error_type")),
                    retried=entry.get("retried") is True,
                )
            )
    return tuple(found)
