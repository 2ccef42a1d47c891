"""The runs in progress in this process, and the small read-only view of a run that the
running-jobs list, the scrape-time gauges and the run's telemetry use.

:class:`RunningJobs` lists the runs in progress, finds one and cancels one by ID.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from signalpost.jobs.state import JobState

__all__ = [
    "AttemptRecord",
    "RunSource",
    "RunSourceUnavailable",
    "RunView",
    "RunningJob",
    "RunningJobs",
    "default_running_jobs",
    "running_job",
]


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One attempt of a run so far, as :attr:`RunningJob.attempts` lists it."""

    number: int
    """1 for the first attempt."""
    delay: float
    """Seconds of back-off waited before it (0 for the first)."""
    ended: bool = False
    """Whether the attempt is over (the last one is usually still in progress)."""
    error_class: str | None = None
    """The class of the error it ended with (``transient`` ...); ``None``: none (yet)."""
    error_type: str | None = None
    """The type name of that exception (never its message, which may hold data)."""
    retried: bool = False
    """Whether a retry was scheduled after it."""


class RunView(Protocol):
    """What is read of a run outside the run itself (implemented by :class:`JobRun`).

    The run owns its state; everything else (logs, spans, metrics, the running-jobs list)
    reads it through these members and asks for cancellation with :meth:`request_cancel`.
    """

    @property
    def job_id(self) -> str: ...
    @property
    def job_type(self) -> str: ...
    @property
    def label_type(self) -> str: ...
    @property
    def attempt(self) -> int: ...
    @property
    def state(self) -> JobState: ...
    @property
    def params(self) -> Mapping[str, Any]: ...
    @property
    def context(self) -> Mapping[str, Any]: ...
    @property
    def cancel_requested(self) -> bool: ...
    @property
    def cancel_reason(self) -> str | None: ...
    @property
    def started_at(self) -> float: ...
    @property
    def enqueued_at(self) -> float | None: ...
    @property
    def queue(self) -> str: ...
    @property
    def started_monotonic(self) -> float: ...
    @property
    def last_progress_monotonic(self) -> float: ...
    @property
    def done(self) -> float | None: ...
    @property
    def total(self) -> float | None: ...
    @property
    def message(self) -> str | None: ...
    @property
    def trace_id(self) -> str | None: ...
    @property
    def history(self) -> tuple[AttemptRecord, ...]: ...

    monotonic: Callable[[], float]

    def request_cancel(self, reason: str | None = None) -> None: ...


@dataclass(frozen=True, slots=True)
class RunningJob:
    """A snapshot of one running run, as :meth:`RunningJobs.snapshot` lists it."""

    job_id: str
    job_type: str
    state: JobState
    attempt: int
    started_at: float
    """Unix time of the start."""
    age: float
    """Seconds since the start."""
    since_progress: float
    """Seconds since the last progress report (or the start)."""
    done: float | None
    total: float | None
    message: str | None
    cancel_requested: bool
    last_progress_at: float = 0.0
    """Unix time of the last progress report (the start time if none was reported)."""
    trace_id: str | None = None
    """The run span's trace ID (32 hex digits), ``None`` when not traced."""
    attempts: tuple[AttemptRecord, ...] = ()
    """The attempts so far, oldest first: their errors and back-off delays."""
    worker: str | None = None
    """The worker running it (a Celery worker's hostname); ``None``: this process."""


class RunSourceUnavailable(Exception):
    """A :class:`RunSource` cannot read its runs now (its queue's broker is unreachable).

    The running-jobs endpoint answers 503 with the message, which must hold no secret.
    """


class RunSource(Protocol):
    """Where the running-jobs endpoint reads runs from: this process's :class:`RunningJobs`,
    or a queue's workers (``signalpost.celery.running_jobs(app)``)."""

    def snapshot(self, job_type: str | None = None) -> list[RunningJob]:
        """The runs in progress, optionally of one job type."""
        ...

    def find(self, job_id: str) -> list[RunningJob]:
        """The runs in progress with ``job_id`` (usually one)."""
        ...

    def cancel(self, job_id: str, reason: str | None = None) -> int:
        """Ask the runs with ``job_id`` to stop; return how many were asked (0: none runs)."""
        ...


def running_job(run: RunView) -> RunningJob:
    """A snapshot of ``run`` now."""
    now = run.monotonic()
    last_progress = run.last_progress_monotonic
    return RunningJob(
        job_id=run.job_id,
        job_type=run.job_type,
        state=run.state,
        attempt=run.attempt,
        started_at=run.started_at,
        age=max(0.0, now - run.started_monotonic),
        since_progress=max(0.0, now - last_progress),
        done=run.done,
        total=run.total,
        message=run.message,
        cancel_requested=run.cancel_requested,
        last_progress_at=run.started_at + max(0.0, last_progress - run.started_monotonic),
        trace_id=run.trace_id,
        attempts=run.history,
    )


class RunningJobs:
    """Tracks the runs in progress in this process.

    Every monitored run adds itself on start and removes itself when it ends. The scrape-time
    gauges read it, and operators (an admin endpoint, a signal handler) can list runs and cancel
    one by ID. Cancelling an async run cancels its task; a sync run sees the request at its
    next :meth:`JobRun.progress` or :meth:`JobRun.check` call, which raises
    :class:`JobCancelled`, and before each retry.
    """

    def __init__(self) -> None:
        self._runs: dict[int, RunView] = {}
        self._lock = threading.Lock()

    def add(self, run: RunView) -> None:
        """Track ``run`` (called by the run itself when it starts)."""
        with self._lock:
            self._runs[id(run)] = run

    def remove(self, run: RunView) -> None:
        """Stop tracking ``run`` (called by the run itself when it ends)."""
        with self._lock:
            self._runs.pop(id(run), None)

    def runs(self) -> list[RunView]:
        """Return the tracked runs themselves (for gauges; prefer :meth:`snapshot`)."""
        with self._lock:
            return list(self._runs.values())

    def snapshot(self, job_type: str | None = None) -> list[RunningJob]:
        """Return snapshots of the running runs, oldest first, optionally of one job type."""
        out = [
            running_job(run) for run in self.runs() if job_type is None or run.job_type == job_type
        ]
        out.sort(key=lambda job: -job.age)
        return out

    def find(self, job_id: str) -> list[RunningJob]:
        """Return snapshots of the running runs with ``job_id``."""
        return [job for job in self.snapshot() if job.job_id == job_id]

    def cancel(self, job_id: str, reason: str | None = None) -> int:
        """Request cancellation of every running run with ``job_id``.

        Returns:
            How many runs were asked to cancel (0 if none runs with that ID).
        """
        matched = [run for run in self.runs() if run.job_id == job_id]
        for run in matched:
            run.request_cancel(reason)
        return len(matched)

    def __len__(self) -> int:
        with self._lock:
            return len(self._runs)


default_running_jobs = RunningJobs()
"""The process-wide list used when a job's runtime names none (``Runtime(running=...)``)."""
