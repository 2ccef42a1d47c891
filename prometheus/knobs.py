"""The knobs file (``prometheus/knobs.yaml``): its typed model and loader.

Everything a user may tune lives here, validated once: durations in Prometheus syntax, ratios
between 0 and 1, SLO latency thresholds on a bucket boundary of the request histogram.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from prometheus.burnrates import unreachable_tiers
from prometheus.exporter_knobs import ExporterKnobs, check_exporters
from prometheus.ha import HaKnobs
from prometheus.targets import JobName, Services, Target, check_consistency
from signalpost._yamlsource import Located, YamlProblem, read, shown
from signalpost.instrumentation.semconv import http

__all__ = [
    "DEFAULT_KNOBS",
    "AlertKnobs",
    "Duration",
    "Knobs",
    "KnobsError",
    "Objective",
    "load_knobs",
    "seconds",
]

DEFAULT_KNOBS = Path(__file__).with_name("knobs.yaml")

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_DURATION = re.compile(r"^(?:(\d+)(ms|s|m|h|d|w|y))+$")
_PART = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")


class KnobsError(ValueError):
    """The knobs file is missing, unreadable or invalid; the message names file and key."""


def seconds(duration: str) -> float:
    """Return a Prometheus duration (``1h30m``, ``5m``, ``0m``) in seconds."""
    if not _DURATION.match(duration):
        raise ValueError(f"not a Prometheus duration: {duration!r} (expected e.g. 30s, 5m, 6h, 1d)")
    return sum(int(n) * _UNITS[unit] for n, unit in _PART.findall(duration))


def _check_duration(value: str) -> str:
    seconds(value)
    return value


Duration = Annotated[str, AfterValidator(_check_duration)]
Ratio = Annotated[float, Field(gt=0, lt=1)]


_LABEL = r"^[a-zA-Z_][a-zA-Z0-9_]*$"
_MATCHER = r'^[a-zA-Z_][a-zA-Z0-9_]*\s*(=|!=|=~|!~)\s*"([^"\\]|\\.)*"$'


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class AlertKnobs(_Strict):
    """How long a condition holds before the alert fires."""

    for_: Duration = Field(default="5m", alias="for")
    escalate_after: Duration | None = None
    """Refused: causes never escalate to critical on duration alone (the paging policy)."""

    @model_validator(mode="after")
    def _no_escalation(self) -> AlertKnobs:
        if self.escalate_after is not None:
            raise ValueError(
                "escalate_after is no longer supported: a cause does not page because it lasts "
                "(paging policy in docs/alerting.md); remove the key"
            )
        return self


class CauseKnobs(AlertKnobs):
    """A cause that inhibits symptoms: ``keep_firing_for`` after it clears (default: the longest
    window of the symptoms it inhibits, :func:`prometheus.inhibition.symptom_lag`)."""

    keep_firing_for: Duration | None = None


class LatencyKnobs(AlertKnobs):
    quantile: Ratio = 0.99
    threshold_seconds: float = Field(default=1.0, gt=0)
    min_request_rate: float = Field(default=0.1, ge=0)


class ErrorSpikeKnobs(AlertKnobs):
    window: Duration = "10m"
    factor: float = Field(default=3.0, gt=1)
    min_rate: float = Field(default=0.05, gt=0)


class FailureRatioKnobs(AlertKnobs):
    window: Duration = "30m"
    threshold: Ratio = 0.25
    min_runs: float = Field(default=4, ge=0)


class StuckKnobs(AlertKnobs):
    no_progress_after: Duration = "15m"


class RetryStormKnobs(AlertKnobs):
    window: Duration = "10m"
    threshold: float = Field(default=0.2, gt=0)


class DatabaseSlowKnobs(AlertKnobs):
    quantile: Ratio = 0.99
    threshold_seconds: float = Field(default=0.5, gt=0)
    min_rate: float = Field(default=0.1, ge=0)


class DiskKnobs(AlertKnobs):
    history: Duration = "6h"
    min_utilization: Ratio = 0.5


class MemoryKnobs(AlertKnobs):
    threshold: Ratio = 0.9


class WaitingTooLongKnobs(AlertKnobs):
    max_wait: Duration = "10m"
    """Default age of the oldest waiting job before it fires; per job type in ``job_types``."""


class BacklogGrowingKnobs(AlertKnobs):
    window: Duration = "15m"


class QueueStalledKnobs(AlertKnobs):
    window: Duration = "10m"
    """No run of the type started (nor attempt ended) in this long while jobs of it wait."""


class JobFailedKnobs(_Strict):
    """JobFailed fires ``for`` after a failure; it stays firing while one is within ``window``.

    ``for`` must outlast DatabaseDown's: a transient failure during a database outage is
    inhibited by DatabaseDown only once that fires.
    """

    for_: Duration = Field(default="2m", alias="for")
    window: Duration = "10m"


class CircuitOpenKnobs(AlertKnobs):
    """CircuitOpen: a breaker not closed while the dependency is still being called."""

    window: Duration = "5m"


class Alerts(_Strict):
    """One entry per tunable alert (the SLO burn alerts take theirs from :class:`Slos`)."""

    service_down: CauseKnobs = CauseKnobs.model_validate({"for": "1m"})
    instance_down: AlertKnobs = AlertKnobs.model_validate({"for": "5m"})
    target_missing: AlertKnobs = AlertKnobs.model_validate({"for": "5m"})
    high_latency: LatencyKnobs = LatencyKnobs()
    error_spike: ErrorSpikeKnobs = ErrorSpikeKnobs()
    job_failure_ratio_high: FailureRatioKnobs = FailureRatioKnobs()
    job_failed: JobFailedKnobs = JobFailedKnobs()
    job_stuck: StuckKnobs = StuckKnobs()
    job_not_succeeded: AlertKnobs = AlertKnobs.model_validate({"for": "0m"})
    job_retry_storm: RetryStormKnobs = RetryStormKnobs()
    health_check_failing: AlertKnobs = AlertKnobs()
    database_down: CauseKnobs = CauseKnobs.model_validate({"for": "1m"})
    database_slow: DatabaseSlowKnobs = DatabaseSlowKnobs()
    schema_invalid: AlertKnobs = AlertKnobs()
    disk_will_fill: DiskKnobs = DiskKnobs()
    memory_high: MemoryKnobs = MemoryKnobs()
    meta: AlertKnobs = AlertKnobs.model_validate({"for": "10m"})
    job_waiting_too_long: WaitingTooLongKnobs = WaitingTooLongKnobs.model_validate({"for": "0m"})
    job_backlog_growing: BacklogGrowingKnobs = BacklogGrowingKnobs.model_validate({"for": "15m"})
    job_queue_stalled: QueueStalledKnobs = QueueStalledKnobs.model_validate({"for": "5m"})
    circuit_open: CircuitOpenKnobs = CircuitOpenKnobs()


class Urls(_Strict):
    grafana: str = "http://localhost:3000"
    runbooks: str = "docs/runbooks"
    """Base of the runbook links: the folder in a clone unless the team publishes them."""


class HealthChecks(_Strict):
    """Check names (``health_check_name``) that stand for the database and its schema."""

    database: tuple[str, ...] = ("postgres",)
    schema_: tuple[str, ...] = Field(default=("schema",), alias="schema")


class JobType(_Strict):
    succeed_every: Duration | None = None
    no_progress_after: Duration | None = None
    max_wait: Duration | None = None


class Objective(_Strict):
    """One SLO: its name (the ``slo`` label), kind, target and kind-specific settings."""

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")]
    kind: Literal["http_availability", "http_latency", "job_success"]
    target: Ratio
    threshold_seconds: float | None = None
    job_type: str | None = None
    min_bad_events: float | None = Field(default=None, ge=0)
    """Bad events over a paging tier's long window before it may page (default: the Slos')."""

    @model_validator(mode="after")
    def _fast_burn_reachable(self) -> Objective:
        # An error ratio cannot exceed 1: at a burn rate r the tier needs r x (1 - target) < 1.
        for rate in unreachable_tiers(self.target):
            raise ValueError(
                f"SLO {self.name}: target {self.target} makes the {rate}x burn-rate tier "
                f"unreachable ({rate} x error budget {1 - self.target:.4g} >= 100% bad events); "
                f"use a target above {1 - 1 / rate:.4f}"
            )
        return self

    @model_validator(mode="after")
    def _kind_settings(self) -> Objective:
        if self.kind == "http_latency":
            if self.threshold_seconds is None:
                raise ValueError(f"SLO {self.name}: http_latency needs threshold_seconds")
        elif self.threshold_seconds is not None:
            raise ValueError(f"SLO {self.name}: threshold_seconds is for http_latency only")
        if (self.kind == "job_success") != (self.job_type is not None):
            raise ValueError(
                f"SLO {self.name}: job_type is required for, and only for, job_success"
            )
        return self


class Slos(_Strict):
    window: Duration = "30d"
    fast_for: Duration = "2m"
    slow_for: Duration = "15m"
    min_bad_events: float = Field(default=5, ge=0)
    """Bad events a paging tier's long window must hold: at low traffic one error is no page."""
    objectives: tuple[Objective, ...] = ()

    request_duration_buckets: tuple[float, ...] | None = None
    """Bucket bounds of the request duration histogram when the app sets its own."""

    @model_validator(mode="after")
    def _unique(self) -> Slos:
        names = [o.name for o in self.objectives]
        if len(names) != len(set(names)):
            raise ValueError(f"SLO names must be unique: {names}")
        return self

    @model_validator(mode="after")
    def _threshold_on_a_bucket(self) -> Slos:
        # The share of requests under a threshold can only be read at a bucket boundary.
        buckets = self.request_duration_buckets or http.REQUEST_DURATION.buckets or ()
        for slo in self.objectives:
            if slo.kind == "http_latency" and slo.threshold_seconds not in buckets:
                raise ValueError(
                    f"SLO {slo.name}: threshold_seconds {slo.threshold_seconds} is not a bucket "
                    f"boundary of {http.REQUEST_DURATION.name} (one of {list(buckets)})"
                )
        return self


class SymptomJobs(_Strict):
    """The scrape job (``job`` label) whose targets produce each family of symptoms.

    Symptom alerts carry it as their ``job`` label: ServiceDown of that job inhibits them, and
    ServiceDown of another job of the same service does not. Unset: ``app`` (else the first
    job) for HTTP, ``worker`` (else the HTTP job: jobs run in the app) for jobs.
    """

    http: str | None = None
    jobs: str | None = None


class Knobs(_Strict):
    """The whole knobs file."""

    service_label: Annotated[str, Field(pattern=_LABEL)] = "service"
    """The target label that names a service (``service``, ``job``, ``namespace``, ``app``):
    every rule aggregates by it and alert summaries print it."""
    selector: tuple[Annotated[str, Field(pattern=_MATCHER)], ...] = ()
    """Label matchers added to every raw selector of the rules (``cluster="eu"``)."""
    targets: Services = Field(alias="services")
    """Service → scrape job → ``host:port`` targets (the file's ``services`` key)."""
    scrape_interval: Duration = "15s"
    evaluation_interval: Duration = "30s"
    monitoring_service: str = "monitoring"
    monitoring_targets: dict[JobName, tuple[Target, ...]] = {}
    """The monitoring stack's parts by job name (see :data:`prometheus.targets.MONITORING_JOBS`)."""
    scrape_credentials: dict[JobName, Annotated[str, Field(min_length=1)]] = {}
    """Scrape job → the file holding the bearer token its targets require (the
    ``credentials_file`` Prometheus reads; the token itself is never in a knobs file)."""
    urls: Urls = Urls()
    alerts: Alerts = Alerts()
    health_checks: HealthChecks = HealthChecks()
    job_types: dict[str, JobType] = {}
    slos: Slos = Slos()
    exporters: ExporterKnobs = ExporterKnobs()
    """node_exporter and postgres_exporter targets per service, and their alerts' knobs."""
    symptom_jobs: SymptomJobs = SymptomJobs()

    @model_validator(mode="after")
    def _symptom_jobs_are_scraped(self) -> Knobs:
        jobs = sorted({j for _, j in self.service_jobs})
        for family, job in self.symptom_jobs:
            if job is not None and job not in jobs:
                raise ValueError(
                    f"symptom_jobs.{family}: {job!r} is not a scrape job of `services` {jobs}"
                )
        return self
    ha: HaKnobs | None = None
    """Prometheus replicas and clustered Alertmanagers (:mod:`prometheus.ha`); none: one each."""

    @model_validator(mode="after")
    def _consistent(self) -> Knobs:
        check_consistency(self.targets, self.monitoring_service, self.monitoring_targets)
        check_exporters(self.exporters, self.targets, self.monitoring_targets)
        return self

    @property
    def services(self) -> tuple[str, ...]:
        """The service names (``service`` label values), in the order of the file."""
        return tuple(self.targets)

    @property
    def service_jobs(self) -> tuple[tuple[str, str], ...]:
        """Every (service, job) pair that must have targets (TargetMissing watches each)."""
        return tuple((s, j) for s, jobs in self.targets.items() for j in jobs)

    def symptom_job(self, family: Literal["http", "jobs"]) -> str:
        """The scrape job that produces the symptoms of ``family`` (see :class:`SymptomJobs`)."""
        own: str | None = getattr(self.symptom_jobs, family)
        if own is not None:
            return own
        jobs = list(dict.fromkeys(j for _, j in self.service_jobs))
        if family == "http":
            return "app" if "app" in jobs else jobs[0]
        return "worker" if "worker" in jobs else self.symptom_job("http")

    def no_progress_after(self, job_type: str) -> str:
        """The JobStuck threshold of a job type (its own, else the default)."""
        own = self.job_types.get(job_type, JobType()).no_progress_after
        return own or self.alerts.job_stuck.no_progress_after

    def min_bad_events(self, slo: Objective) -> float:
        """Bad events a paging burn tier of ``slo`` needs in its long window."""
        own = slo.min_bad_events
        return self.slos.min_bad_events if own is None else own


def load_knobs(path: Path = DEFAULT_KNOBS) -> Knobs:
    """Read and validate a knobs file.

    Raises:
        KnobsError: The file cannot be read or parsed, or a value is invalid: one line naming
            the file, the line when known, the key and why.
    """
    try:
        located = read(path)
    except OSError as exc:
        raise KnobsError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except YamlProblem as problem:
        where = f"{path}:{problem.line}" if problem.line else str(path)
        got = f" ({problem.got})" if problem.got else ""
        raise KnobsError(f"{where}: expected {problem.expected}{got}") from None
    if not isinstance(located.data, dict):
        raise KnobsError(f"{path}: expected a mapping of knobs, got {shown(located.data)}")
    # The earlier form: a list of service names and one list of jobs for all of them.
    for key in ("scrape_jobs", "services"):
        if key in located.data and (key == "scrape_jobs" or isinstance(located.data[key], list)):
            raise KnobsError(
                f"{path}:{located.line_of((key,))}: {key}: list each service's scrape jobs and "
                "their targets under `services` (services: {my-service: {app: [host:8000]}})"
            )
    try:
        return Knobs.model_validate(located.data)
    except ValidationError as exc:
        raise KnobsError(_one_line(path, located, exc)) from None


def _one_line(path: Path, located: Located, error: ValidationError) -> str:
    parts = []
    for item in error.errors(include_url=False):
        ctx = item.get("ctx") or {}
        if "path" in ctx:  # a consistency check names its own key
            key_path = tuple(ctx["path"])
            message = str(ctx["why"])
        else:
            key_path = tuple(p for p in item["loc"] if isinstance(p, str | int))
            message = item["msg"]
        line = located.line_of(key_path)
        key = ".".join(str(p) for p in key_path) or "(top)"
        parts.append(f"{path}:{line}: {key}: {message}" if line else f"{path}: {key}: {message}")
    return "; ".join(parts)
