"""What :func:`signalpost.setup` takes beside the configuration, grouped by purpose.

The configuration file says *how* Signalpost behaves; these say *with what* (collaborators
you bring) and *where the running-jobs endpoints read* (sources only code can provide). Before
they existed ``setup()`` took each as a keyword of its own; those keywords still work for one
release (:data:`DEPRECATED_KEYWORDS`) with one ``DeprecationWarning`` naming the new argument.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from opentelemetry.metrics import MeterProvider
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.trace import TracerProvider
from prometheus_client import CollectorRegistry

from signalpost.errors.classify import ErrorClassifier, default_classifier
from signalpost.jobs.backlog import BacklogSource
from signalpost.jobs.running import RunSource
from signalpost.runtime import deprecated_collaborators
from signalpost.serving.jobs.endpoint import FinishedRuns

__all__ = ["DEPRECATED_KEYWORDS", "JobSources", "SetupOptions", "split_deprecated"]


@dataclass(frozen=True)
class SetupOptions:
    """What set-up uses and installs beyond the configuration file.

    Attributes:
        registry: prometheus-client registry to record into (default: the global one).
        classifier: The error classifier shared with jobs, health checks and database
            instrumentation.
        tracer_provider: Use this instead of creating one from the environment.
        meter_provider: Use this for OTLP metrics instead of creating one.
        logger_provider: Use this for OTLP logs instead of creating one.
        health_path: Where the health endpoints are mounted (excluded from HTTP metrics by
            the default ``http.excluded_paths``).
        set_global_providers: Install the created providers as OpenTelemetry's globals.
        configure_logging: Install the JSON and OTLP log handlers on the root logger.
        gc_freeze: Once the app's start-up has run, freeze the heap out of the cyclic garbage
            collector's reach (:func:`~signalpost.sdk.gcfreeze.freeze_startup_heap`, once per
            process): full collections then walk only what was created since, instead of
            stopping every request for tens of milliseconds under tracing.
    """

    registry: CollectorRegistry | None = None
    classifier: ErrorClassifier = default_classifier
    tracer_provider: TracerProvider | None = None
    meter_provider: MeterProvider | None = None
    logger_provider: LoggerProvider | None = None
    health_path: str = "/health"
    set_global_providers: bool = True
    configure_logging: bool = True
    gc_freeze: bool = True

    @property
    def providers_given(self) -> bool:
        """Whether any OpenTelemetry provider was given (set-up then creates none)."""
        given = (self.tracer_provider, self.meter_provider, self.logger_provider)
        return any(provider is not None for provider in given)


@dataclass(frozen=True)
class JobSources:
    """Where the running-jobs endpoints (``jobs.path``, see ``docs/jobs.md``) read.

    Attributes:
        running: The runs in progress; this process's own by default.
            ``signalpost.celery.running_jobs(celery_app)`` serves a Celery app's running
            tasks across all its workers.
        finished: Where ``GET /jobs/{id}`` finds a run that has finished; by default the
            trace and log store at ``lookup.dsn`` (``SIGNALPOST_LOOKUP_DSN``) when set.
        backlog: What waits in the job queue, listed beside the runs
            (``signalpost.celery.backlog(app)``, ``signalpost.arq.backlog(url)`` or a query
            of your own). Its gauges are reported with :func:`~signalpost.jobs.watch_backlog`.
    """

    running: RunSource | None = None
    finished: FinishedRuns | None = None
    backlog: BacklogSource | None = None


_OPTION_FIELDS = tuple(field.name for field in dataclasses.fields(SetupOptions))
_JOB_KEYWORDS = {"jobs_source": "running", "finished_runs": "finished", "jobs_backlog": "backlog"}

DEPRECATED_KEYWORDS: Mapping[str, str] = {
    **{name: "options=SetupOptions(...)" for name in _OPTION_FIELDS},
    **{name: "jobs=JobSources(...)" for name in _JOB_KEYWORDS},
}
"""The keywords ``setup()`` took before its settings objects, and what replaces each."""


def split_deprecated(
    given: Mapping[str, Any], options: SetupOptions | None, jobs: JobSources | None
) -> tuple[SetupOptions, JobSources]:
    """Fold the deprecated keywords ``setup()`` was called with into its settings objects,
    warning once; a keyword overrides the same field of an object also given.

    Raises:
        TypeError: A keyword ``setup()`` never accepted.
    """
    found = deprecated_collaborators(
        "setup", given, DEPRECATED_KEYWORDS, depth=2, instead=DEPRECATED_KEYWORDS
    )
    option_changes = {name: found[name] for name in _OPTION_FIELDS if name in found}
    job_changes = {_JOB_KEYWORDS[name]: found[name] for name in _JOB_KEYWORDS if name in found}
    return (
        dataclasses.replace(options or SetupOptions(), **option_changes),
        dataclasses.replace(jobs or JobSources(), **job_changes),
    )
