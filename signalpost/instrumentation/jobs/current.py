"""The run of the monitored job executing in this context."""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from signalpost.instrumentation.jobs.run import JobRun

__all__ = ["current_run", "run_var"]

run_var: ContextVar[JobRun | None] = ContextVar("signalpost_job_run", default=None)


def current_run() -> JobRun | None:
    """Return the run of the monitored job executing in this context, or ``None``.

    The decorator form passes no run to the function; this is how it reports progress.
    """
    return run_var.get()
