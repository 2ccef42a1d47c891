"""The collaborators of one job type's telemetry (tracer, metrics, error reporter, logger,
scrubber), resolved once from the runtime: :class:`JobTelemetry`. What one run emits through
them is :class:`~signalpost.jobs.telemetry.RunTelemetry`."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from opentelemetry import trace
from opentelemetry.trace import Tracer

from signalpost.errors.capture import ErrorReporter
from signalpost.errors.scrub import Scrubber
from signalpost.failsafe import failsafe, note_failure
from signalpost.jobs.metrics import JobMetrics
from signalpost.loggers import JOB_LOGGER_NAME
from signalpost.runtime import Runtime

__all__ = ["JobTelemetry"]

_REPORTER_GUARD = failsafe("error reporter set-up")
_TRACER_NAME = "signalpost.jobs"


@dataclass(frozen=True, slots=True)
class JobTelemetry:
    """The collaborators of one job type. ``metrics`` or ``reporter`` is ``None`` if unusable."""

    tracer: Tracer
    metrics: JobMetrics | None
    reporter: ErrorReporter | None
    logger: logging.Logger
    scrubber: Scrubber
    progress_interval: float

    @classmethod
    def resolve(
        cls,
        shared: Runtime,
        *,
        reporter: ErrorReporter | None,
        logger: logging.Logger | None,
        progress_interval: float,
    ) -> JobTelemetry:
        """Build the collaborators from ``shared``, falling back to no-ops for any part that
        fails to set up."""
        job_logger = logger or logging.getLogger(JOB_LOGGER_NAME)
        registry, scrubber = shared.registry, shared.scrubber
        try:
            tracer = trace.get_tracer(_TRACER_NAME, tracer_provider=shared.tracer_provider)
        except Exception as failure:
            note_failure("tracer set-up", failure)
            tracer = trace.NoOpTracer()
        job_metrics: JobMetrics | None
        try:
            job_metrics = JobMetrics.for_registry(registry)
            job_metrics.watch(shared.running)
        except Exception as failure:
            note_failure("metrics set-up", failure)
            job_metrics = None
        if reporter is None:
            with _REPORTER_GUARD:
                reporter = ErrorReporter(
                    registry=registry,
                    classifier=shared.classifier,
                    scrubber=scrubber,
                    logger=job_logger,
                    clock=shared.clock,
                    max_exception_types=shared.max_exception_types,
                )
        return cls(tracer, job_metrics, reporter, job_logger, scrubber, progress_interval)
