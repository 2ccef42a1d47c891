# Types of the names jobs/__init__.py loads on first use (the lazy-loader pattern of
# Scientific Python's SPEC 1): type checkers read these imports, the interpreter does not.
from signalpost.jobs.backlog import Backlog, BacklogCollector, watch_backlog
from signalpost.jobs.interrupts import JobCancelled, JobTimeout
from signalpost.jobs.monitor import MonitoredJob, monitored_job
from signalpost.jobs.options import JobOptions
from signalpost.jobs.propagation import extract_context, inject_context
from signalpost.jobs.retry import RetryPolicy
from signalpost.jobs.run import JobRun, current_run, current_run_or_none
from signalpost.jobs.running import RunningJobs
from signalpost.jobs.state import JobState
from signalpost.serving.jobs.endpoint import JobsEndpoint, mount_jobs

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
