"""Background-job monitoring: lifecycle, progress, retries, error classes, stuck jobs.

The public surface is :func:`monitored_job` (decorator, ``with`` and ``async with``),
:class:`RetryPolicy`, the :class:`JobRun` it yields, :func:`current_run`, the running-jobs
:class:`JobRegistry`, and :func:`inject_context` / :func:`extract_context` to carry trace
context through a queue payload. See ``docs/jobs.md``.
"""

from __future__ import annotations

from signalpost.instrumentation.jobs.attempts import Attempt
from signalpost.instrumentation.jobs.clock import Clock, SystemClock
from signalpost.instrumentation.jobs.errors import JobCancelled, JobTimeout
from signalpost.instrumentation.jobs.monitor import MonitoredJob, monitored_job
from signalpost.instrumentation.jobs.propagation import extract_context, inject_context
from signalpost.instrumentation.jobs.registry import JobRegistry, RunningJob, default_job_registry
from signalpost.instrumentation.jobs.retry import RetryPolicy
from signalpost.instrumentation.jobs.run import JobRun, current_run
from signalpost.instrumentation.jobs.state import IllegalTransition, JobState

__all__ = [
    "Attempt",
    "Clock",
    "IllegalTransition",
    "JobCancelled",
    "JobRegistry",
    "JobRun",
    "JobState",
    "JobTimeout",
    "MonitoredJob",
    "RetryPolicy",
    "RunningJob",
    "SystemClock",
    "current_run",
    "default_job_registry",
    "extract_context",
    "inject_context",
    "monitored_job",
]
