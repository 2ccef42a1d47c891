"""The knobs file (``prometheus/knobs.yaml``): its typed model and loader.

Everything a user may tune lives here, validated once: durations in Prometheus syntax, ratios
between 0 and 1, SLO latency thresholds on a bucket boundary of the request histogram.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, model_validator

from prometheus.alert_knobs import AlertKnobs, Alerts
from prometheus.exporter_knobs import ExporterKnobs, check_exporters
from prometheus.ha import HaKnobs
from prometheus.knob_types import Duration, Strict, seconds
from prometheus.slo_knobs import Objective, Slos
from prometheus.targets import JobName, Services, Target, check_consistency
from signalpost._yamlsource import Located, YamlProblem, read, shown

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


class KnobsError(ValueError):
    """The knobs file is missing, unreadable or invalid; the message names file and key."""


_LABEL = r"^[a-zA-Z_][a-zA-Z0-9_]*$"
_MATCHER = r'^[a-zA-Z_][a-zA-Z0-9_]*\s*(=|!=|=~|!~)\s*"([^"\\]|\\.)*"$'


class Urls(Strict):
    grafana: str = "http://localhost:3000"
    runbooks: str = "docs/runbooks"
    """Base of the runbook links: the folder in a clone unless the team publishes them."""


class HealthChecks(Strict):
    """Check names (``health_check_name``) that stand for the database and its schema."""

    database: tuple[str, ...] = ("postgres",)
    schema_: tuple[str, ...] = Field(default=("schema",), alias="schema")


class JobType(Strict):
    succeed_every: Duration | None = None
    no_progress_after: Duration | None = None
    max_wait: Duration | None = None


class SymptomJobs(Strict):
    """The scrape job (``job`` label) whose targets produce each family of symptoms.

    Symptom alerts carry it as their ``job`` label: ServiceDown of that job inhibits them, and
    ServiceDown of another job of the same service does not. Unset: ``app`` (else the first
    job) for HTTP, ``worker`` (else the HTTP job: jobs run in the app) for jobs.
    """

    http: str | None = None
    jobs: str | None = None


class Knobs(Strict):
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
    monitoring_targets: dict[JobName, tuple[Target, ...]] = Field(default_factory=dict)
    """The monitoring stack's parts by job name (see :data:`prometheus.targets.MONITORING_JOBS`)."""
    scrape_credentials: dict[JobName, Annotated[str, Field(min_length=1)]] = Field(
        default_factory=dict
    )
    """Scrape job → the file holding the bearer token its targets require (the
    ``credentials_file`` Prometheus reads; the token itself is never in a knobs file)."""
    urls: Urls = Urls()
    alerts: Alerts = Alerts()
    health_checks: HealthChecks = HealthChecks()
    job_types: dict[str, JobType] = Field(default_factory=dict)
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
