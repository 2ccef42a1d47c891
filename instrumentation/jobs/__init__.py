"""Background-job monitoring: lifecycle, progress, retries, error classes, stuck jobs.

The public surface is :func:`monitored_job` (decorator, ``with`` and ``async with``),
:class:`RetryPolicy`, the :class:`JobRun` it yields, :func:`current_run`, the running-jobs
:class:`JobRegistry`, and :func:`inject_context` / :func:`extract_context` to carry trace
context through a queue payload. See ``docs/jobs.md``.
"""

from __future__ import annotations

from instrumentation.jobs.attempts import Attempt
from instrumentation.jobs.clock import Clock, SystemClock
from instrumentation.jobs.errors import JobCancelled, JobTimeout
from instrumentation.jobs.monitor import MonitoredJob, monitored_job
from instrumentation.jobs.propagation import extract_context, inject_context
from instrumentation.jobs.registry import JobRegistry, RunningJob, default_job_registry
from instrumentation.jobs.retry import RetryPolicy
from instrumentation.jobs.run import JobRun, current_run
from instrumentation.jobs.state import IllegalTransition, JobState

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
