"""The collaborators of a monitored job, resolved once per wrapper and shared by its runs."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from opentelemetry import trace
from opentelemetry.trace import Tracer, TracerProvider
from prometheus_client import CollectorRegistry

from signalpost.instrumentation.errors import ErrorReporter
from signalpost.instrumentation.jobs.clock import Clock, system_clock
from signalpost.instrumentation.jobs.metrics import JobMetrics
from signalpost.instrumentation.jobs.registry import JobRegistry, default_job_registry
from signalpost.instrumentation.jobs.retry import RetryPolicy
from signalpost.instrumentation.scrub import Scrubber, default_scrubber

__all__ = ["INTERNAL_LOGGER_NAME", "JOB_LOGGER_NAME", "JobDeps", "internal_error", "resolve"]

JOB_LOGGER_NAME = "signalpost.jobs"
INTERNAL_LOGGER_NAME = "signalpost.internal"
_TRACER_NAME = "signalpost.jobs"


def internal_error(what: str) -> None:
    """Note a failure inside job monitoring without letting it reach the job. Never raises."""
    try:
        logging.getLogger(INTERNAL_LOGGER_NAME).warning(
            "job monitoring: %s failed", what, exc_info=True
        )
    except Exception:
        pass


@dataclass(slots=True)
class JobDeps:
    """Everything a run reports through. ``metrics`` or ``reporter`` is ``None`` if unusable."""

    tracer: Tracer
    metrics: JobMetrics | None
    reporter: ErrorReporter | None
    logger: logging.Logger
    clock: Clock
    jobs: JobRegistry
    scrubber: Scrubber
    progress_interval: float


def resolve(
    *,
    policy: RetryPolicy,
    registry: CollectorRegistry | None,
    tracer_provider: TracerProvider | None,
    clock: Clock | None,
    jobs: JobRegistry | None,
    reporter: ErrorReporter | None,
    logger: logging.Logger | None,
    scrubber: Scrubber | None,
    progress_interval: float,
) -> JobDeps:
    """Build :class:`JobDeps`, falling back to no-ops for any part that fails to set up."""
    job_logger = logger or logging.getLogger(JOB_LOGGER_NAME)
    jobs = default_job_registry if jobs is None else jobs
    try:
        tracer = trace.get_tracer(_TRACER_NAME, tracer_provider=tracer_provider)
    except Exception:
        internal_error("tracer set-up")
        tracer = trace.NoOpTracer()
    job_metrics: JobMetrics | None
    try:
        job_metrics = JobMetrics.for_registry(registry)
        job_metrics.watch(jobs)
    except Exception:
        internal_error("metrics set-up")
        job_metrics = None
    if reporter is None:
        try:
            reporter = ErrorReporter(
                registry=registry,
                classifier=policy.classifier,
                scrubber=scrubber or default_scrubber,
                logger=job_logger,
            )
        except Exception:
            internal_error("error reporter set-up")
    return JobDeps(
        tracer=tracer,
        metrics=job_metrics,
        reporter=reporter,
        logger=job_logger,
        clock=clock or system_clock,
        jobs=jobs,
        scrubber=scrubber or default_scrubber,
        progress_interval=progress_interval,
    )
