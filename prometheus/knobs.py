"""The knobs file (``prometheus/knobs.yaml``): its typed model and loader.

Everything a user may tune lives here, validated once: durations in Prometheus syntax, ratios
between 0 and 1, SLO latency thresholds on a bucket boundary of the request histogram.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

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


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class AlertKnobs(_Strict):
    """How long a condition holds before it fires, and when it escalates to critical."""

    for_: Duration = Field(default="5m", alias="for")
    escalate_after: Duration | None = None

    @model_validator(mode="after")
    def _escalation_is_later(self) -> AlertKnobs:
        if self.escalate_after is not None and seconds(self.escalate_after) <= seconds(self.for_):
            raise ValueError(
                f"escalate_after ({self.escalate_after}) must exceed for ({self.for_})"
            )
        return self


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
    """JobFailed fires at once; it stays firing while a failure is within ``window``."""

    window: Duration = "10m"


class Alerts(_Strict):
    """One entry per tunable alert (the SLO burn alerts take theirs from :class:`Slos`)."""

    service_down: AlertKnobs = AlertKnobs.model_validate({"for": "2m"})
    target_missing: AlertKnobs = AlertKnobs.model_validate({"for": "5m"})
    high_latency: LatencyKnobs = LatencyKnobs()
    error_spike: ErrorSpikeKnobs = ErrorSpikeKnobs()
    job_failure_ratio_high: FailureRatioKnobs = FailureRatioKnobs()
    job_failed: JobFailedKnobs = JobFailedKnobs()
    job_stuck: StuckKnobs = StuckKnobs()
    job_not_succeeded: AlertKnobs = AlertKnobs.model_validate({"for": "0m"})
    job_retry_storm: RetryStormKnobs = RetryStormKnobs()
    health_check_failing: AlertKnobs = AlertKnobs()
    database_down: AlertKnobs = AlertKnobs.model_validate({"for": "1m"})
    database_slow: DatabaseSlowKnobs = DatabaseSlowKnobs()
    schema_invalid: AlertKnobs = AlertKnobs()
    disk_will_fill: DiskKnobs = DiskKnobs()
    memory_high: MemoryKnobs = MemoryKnobs()
    meta: AlertKnobs = AlertKnobs.model_validate({"for": "10m"})
    job_waiting_too_long: WaitingTooLongKnobs = WaitingTooLongKnobs.model_validate(
        {"for": "0m", "escalate_after": "30m"}
    )
    job_backlog_growing: BacklogGrowingKnobs = BacklogGrowingKnobs.model_validate({"for": "15m"})
    job_queue_stalled: QueueStalledKnobs = QueueStalledKnobs.model_validate(
        {"for": "5m", "escalate_after": "15m"}
    )


class Urls(_Strict):
    grafana: str = "http://localhost:3000"
    runbooks: str = "https://github.com/signalpost/signalpost/blob/main/docs/runbooks"


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


class Knobs(_Strict):
    """The whole knobs file."""

    services: Annotated[tuple[str, ...], Field(min_length=1)]
    scrape_jobs: tuple[str, ...] = ("app", "worker")
    monitoring_service: str = "monitoring"
    urls: Urls = Urls()
    alerts: Alerts = Alerts()
    health_checks: HealthChecks = HealthChecks()
    job_types: dict[str, JobType] = {}
    slos: Slos = Slos()

    def no_progress_after(self, job_type: str) -> str:
        """The JobStuck threshold of a job type (its own, else the default)."""
        own = self.job_types.get(job_type, JobType()).no_progress_after
        return own or self.alerts.job_stuck.no_progress_after


def load_knobs(path: Path = DEFAULT_KNOBS) -> Knobs:
    """Read and validate a knobs file.

    Raises:
        KnobsError: The file cannot be read or parsed, or a value is invalid (the message names
            the file and the key).
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise KnobsError(f"{path}: {exc}") from exc
    try:
        return Knobs.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise KnobsError(f"{path}: {problems}") from exc
