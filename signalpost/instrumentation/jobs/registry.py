"""The in-process registry of running jobs: list them, find one, cancel one by ID."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from signalpost.instrumentation.jobs.state import JobState

__all__ = ["JobRegistry", "RunHandle", "RunningJob", "default_job_registry"]


class RunHandle(Protocol):
    """What the registry needs from a running run (implemented by :class:`JobRun`)."""

    @property
    def job_id(self) -> str: ...
    @property
    def job_type(self) -> str: ...
    @property
    def state(self) -> JobState: ...
    @property
    def attempt(self) -> int: ...
    @property
    def cancel_requested(self) -> bool: ...

    label_type: str
    started_monotonic: float
    started_at: float
    last_progress_monotonic: float
    done: float | None
    total: float | None
    message: str | None
    monotonic: Callable[[], float]

    def request_cancel(self, reason: str | None = None) -> None: ...


@dataclass(frozen=True, slots=True)
class RunningJob:
    """A snapshot of one running run, as :meth:`JobRegistry.running` lists it."""

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


class JobRegistry:
    """Tracks the runs in progress in this process.

    Every monitored run adds itself on start and removes itself when it ends. The scrape-time
    gauges read it, and operators (an admin endpoint, a signal handler) can list runs and cancel
    one by ID. Cancelling an async run cancels its task; a sync run sees the request at its
    next :meth:`JobRun.progress` or :meth:`JobRun.check` call, which raises
    :class:`JobCancelled`, and before each retry.
    """

    def __init__(self) -> None:
        self._runs: dict[int, RunHandle] = {}
        self._lock = threading.Lock()

    def add(self, run: RunHandle) -> None:
        """Track ``run`` (called by the run itself when it starts)."""
        with self._lock:
            self._runs[id(run)] = run

    def remove(self, run: RunHandle) -> None:
        """Stop tracking ``run`` (called by the run itself when it ends)."""
        with self._lock:
            self._runs.pop(id(run), None)

    def handles(self) -> list[RunHandle]:
        """Return the tracked runs themselves (for collectors; prefer :meth:`running`)."""
        with self._lock:
            return list(self._runs.values())

    def running(self, job_type: str | None = None) -> list[RunningJob]:
        """Return snapshots of the running runs, oldest first, optionally of one job type."""
        out: list[RunningJob] = []
        for run in self.handles():
            if job_type is not None and run.job_type != job_type:
                continue
            now = run.monotonic()
            out.append(
                RunningJob(
                    job_id=run.job_id,
                    job_type=run.job_type,
                    state=run.state,
                    attempt=run.attempt,
                    started_at=run.started_at,
                    age=max(0.0, now - run.started_monotonic),
                    since_progress=max(0.0, now - run.last_progress_monotonic),
                    done=run.done,
                    total=run.total,
                    message=run.message,
                    cancel_requested=run.cancel_requested,
                )
            )
        out.sort(key=lambda job: -job.age)
        return out

    def cancel(self, job_id: str, reason: str | None = None) -> int:
        """Request cancellation of every running run with ``job_id``.

        Returns:
            How many runs were asked to cancel (0 if none runs with that ID).
        """
        matched = [run for run in self.handles() if run.job_id == job_id]
        for run in matched:
            run.request_cancel(reason)
        return len(matched)

    def __len__(self) -> int:
        with self._lock:
            return len(self._runs)


default_job_registry = JobRegistry()
"""The process-wide registry used when none is passed explicitly."""
