"""Background-job monitoring: lifecycle, progress, retries, error classes, stuck jobs.

The public surface is :func:`monitored_job` (decorator, ``with`` and ``async with``), its
:class:`JobOptions`, :class:`RetryPolicy`, the :class:`JobRun` it yields, :func:`current_run` (and
:func:`current_run_or_none`), the :class:`RunningJobs` list (the process's own is
:data:`default_running_jobs`) and its HTTP endpoints
(:class:`JobsEndpoint`), and :func:`inject_context` / :func:`extract_context` to carry trace
context through a queue payload. See ``docs/jobs.md``.

Modules: ``monitor`` (the wrapper), ``run`` (the run, owner of its state, and its attempts),
``telemetry`` (what a run emits), ``spans`` and ``metrics`` (the instruments), ``running``
(the runs in progress), ``interrupts`` (timeouts and cancellation), ``retry``, ``state``,
``propagation``, ``backlog`` (jobs waiting, read at scrape time) and ``backlog_redis``
(its Celery and arq readers). The endpoints that serve the running jobs (list, show,
cancel) are in :mod:`signalpost.serving.jobs`.
"""

from __future__ import annotations

from typing import Any

from signalpost._lazy import load

_HOMES = {
    "Backlog": "signalpost.jobs.backlog",
    "BacklogCollector": "signalpost.jobs.backlog",
    "watch_backlog": "signalpost.jobs.backlog",
    "JobsEndpoint": "signalpost.serving.jobs.endpoint",
    "mount_jobs": "signalpost.serving.jobs.endpoint",
    "JobCancelled": "signalpost.jobs.interrupts",
    "JobTimeout": "signalpost.jobs.interrupts",
    "JobOptions": "signalpost.jobs.options",
    "MonitoredJob": "signalpost.jobs.monitor",
    "monitored_job": "signalpost.jobs.monitor",
    "extract_context": "signalpost.jobs.propagation",
    "inject_context": "signalpost.jobs.propagation",
    "RetryPolicy": "signalpost.jobs.retry",
    "JobRun": "signalpost.jobs.run",
    "current_run": "signalpost.jobs.run",
    "current_run_or_none": "signalpost.jobs.run",
    "RunningJobs": "signalpost.jobs.running",
    "JobState": "signalpost.jobs.state",
}
"""Where each public name lives. Loaded on first use, so that the shared runtime
(:mod:`signalpost.runtime`) can import the running-jobs list without importing the wrapper,
which itself resolves the runtime: no import cycle."""

__all__ = [
    "Backlog",
    "BacklogCollector",
    "JobCancelled",
    "JobOptions",
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


def __getattr__(name: str) -> Any:
    return load(__name__, _HOMES, name, globals())


def __dir__() -> list[str]:
    return sorted(__all__)
