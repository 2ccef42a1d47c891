# Types of the names jobs/__init__.py loads on first use (the lazy-loader pattern of
# Scientific Python's SPEC 1): type checkers read these imports, the interpreter does not.
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
