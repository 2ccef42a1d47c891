"""Background-job monitoring: lifecycle, progress, retries, error classes, stuck jobs.

The public surface is :func:`monitored_job` (decorator, ``with`` and ``async with``),
:class:`RetryPolicy`, the :class:`JobRun` it yields, :func:`current_run` (and
:func:`current_run_or_none`), the :class:`RunningJobs` list (the process's own is
:data:`default_running_jobs`) and its HTTP endpoints
(:class:`JobsEndpoint`), and :func:`inject_context` / :func:`extract_context` to carry trace
context through a queue payload. See ``docs/jobs.md``.

Modules: ``monitor`` (the wrapper), ``run`` (the run, owner of its state, and its attempts),
``telemetry`` (what a run emits), ``spans`` and ``metrics`` (the instruments), ``running``
(the runs in progress), ``endpoint`` (list, show, cancel them over HTTP),
``interrupts`` (timeouts and cancellation), ``retry``, ``state``,
``propagation``, ``backlog`` (jobs waiting, read at scrape time) and ``backlog_redis``
(its Celery and arq readers).
"""

from __future__ import annotations

from signalpost.instrumentation.jobs.backlog import Backlog, BacklogCollector, watch_backlog
from signalpost.instrumentation.jobs.endpoint import JobsEndpoint, mount_jobs
from signalpost.instrumentation.jobs.interrupts import JobCancelled, JobTimeout
from signalpost.instrumentation.jobs.monitor import MonitoredJob, monitored_job
from signalpost.instrumentation.jobs.propagation import extract_context, inject_context
from signalpost.instrumentation.jobs.retry import RetryPolicy
from signalpost.instrumentation.jobs.run import JobRun, current_run, current_run_or_none
from signalpost.instrumentation.jobs.running import RunningJobs
from signalpost.instrumentation.jobs.state import JobState

__all__ = [
    "Backlog",
    "BacklogCollector",
    "JobCancelled",
    "JobRun",
    "JobState",
    "JobTimeout",
    "JobsEndpoint",
    "MonitoredJob",
    "RetryPolicy",
    "RunningJobs",
    "current_run",
    "current_run_or_none",
    "extract_context",
    "inject_context",
    "monitored_job",
    "mount_jobs",
    "watch_backlog",
]
