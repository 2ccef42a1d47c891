"""Celery runs across workers for the running-jobs endpoint: :class:`CeleryRunningJobs`.

Two halves that meet in the broker and the result backend:

* In each pool child, a :func:`progress_publisher` thread (the one queue-progress publisher,
  :mod:`~signalpost.integrations.progress`) stores every monitored task's
  progress as the task's custom ``PROGRESS`` state (``meta``: start time, attempt, done,
  total, scrubbed message, last progress time, trace ID), at most once per ``interval`` and
  only when it changed. The task's own end takes the publisher's lock, so a late ``PROGRESS``
  never overwrites the task's final state.
* In the web app, :class:`CeleryRunningJobs` asks every worker for its running tasks
  (``app.control.inspect().active()``: task ID, name, worker hostname, start time), reads
  their ``PROGRESS`` meta from the result backend and cancels through
  :func:`signalpost.integrations.celery.instrument.cancel` (revoke).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from celery import Celery
from celery.backends.base import DisabledBackend
from kombu.exceptions import OperationalError

from signalpost.errors.scrub import Scrubber
from signalpost.failsafe import note_failure
from signalpost.integrations.progress import ProgressPublisher
from signalpost.jobs.published import MARK, finite, from_published
from signalpost.jobs.running import RunningJob, RunSourceUnavailable

__all__ = [
    "PROGRESS_STATE",
    "CeleryRunningJobs",
    "ProgressPublisher",
    "has_result_backend",
    "progress_publisher",
]

PROGRESS_STATE = "PROGRESS"
"""The custom Celery task state that carries a running task's progress."""


def has_result_backend(app: Celery) -> bool:
    """Whether ``app`` has a result backend to publish progress to."""
    return not isinstance(app.backend, DisabledBackend)


def progress_publisher(
    app: Celery, *, interval: float = 1.0, scrubber: Scrubber | None = None
) -> ProgressPublisher:
    """The :class:`~signalpost.integrations.progress.ProgressPublisher` of one Celery process,
    storing each run's form as its task's ``PROGRESS`` state in ``app``'s result backend.

    Args:
        app: The Celery app (its result backend receives the ``PROGRESS`` states).
        interval: Seconds between two publications of one run.
        scrubber: Scrubs progress messages before they leave; the runtime's if ``None``.
    """

    def store(task_id: str, meta: dict[str, Any]) -> None:
        app.backend.store_result(task_id, meta, PROGRESS_STATE)

    return ProgressPublisher(
        "celery progress publisher", interval=interval, scrubber=scrubber, thread_store=store
    )


class CeleryRunningJobs:
    """The running tasks of every worker of a Celery app, as the running-jobs endpoint reads
    them (a :class:`~signalpost.jobs.running.RunSource`).

    Args:
        app: The Celery app (same broker and result backend as the workers).
        timeout: Seconds to wait for the workers' replies to ``inspect().active()``.
        cancel: How a task is cancelled (:func:`signalpost.celery.cancel`).
        clock: Wall-clock time (for ages).
    """

    def __init__(
        self,
        app: Celery,
        *,
        cancel: Callable[[Celery, str, str | None], None],
        timeout: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._app = app
        self._timeout = timeout
        self._cancel = cancel
        self._clock = clock

    def _active(self) -> list[tuple[str, dict[str, Any]]]:
        try:
            replies = self._app.control.inspect(timeout=self._timeout).active() or {}
        except OperationalError as error:
            raise RunSourceUnavailable(f"Celery's broker: {type(error).__name__}") from error
        tasks: list[tuple[str, dict[str, Any]]] = []
        for worker, running in replies.items():
            if isinstance(running, list):
                tasks.extend((str(worker), t) for t in running if isinstance(t, dict))
        return tasks

    def _job(self, worker: str, task: dict[str, Any], now: float) -> RunningJob:
        task_id = str(task.get("id"))
        meta: dict[str, Any] = {}
        try:
            found = self._app.backend.get_task_meta(task_id, cache=False)
            result = found.get("result") if found.get("status") == PROGRESS_STATE else None
            if isinstance(result, dict) and result.get(MARK) == 1:
                meta = result
        except Exception as failure:
            note_failure("celery progress read", failure)
        return from_published(
            task_id,
            meta,
            now=now,
            job_type=str(task.get("name") or ""),
            worker=worker,
            started_at=finite(task.get("time_start")),
        )

    def snapshot(self, job_type: str | None = None) -> list[RunningJob]:
        """The monitored tasks running on every worker that replied, oldest first."""
        now = self._clock()
        jobs = [
            self._job(worker, task, now)
            for worker, task in self._active()
            if job_type is None or task.get("name") == job_type
        ]
        jobs.sort(key=lambda job: -job.age)
        return jobs

    def find(self, job_id: str) -> list[RunningJob]:
        """The task ``job_id`` if a worker is running it."""
        now = self._clock()
        return [self._job(w, t, now) for w, t in self._active() if str(t.get("id")) == job_id]

    def cancel(self, job_id: str, reason: str | None = None) -> int:
        """Revoke the task ``job_id`` if a worker is running it; return 1, else 0."""
        if not any(str(t.get("id")) == job_id for _, t in self._active()):
            return 0
        try:
            self._cancel(self._app, job_id, reason)
        except OperationalError as error:
            raise RunSourceUnavailable(f"Celery's broker: {type(error).__name__}") from error
        return 1
