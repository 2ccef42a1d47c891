"""The ``alerts`` section of the knobs: one entry per tunable alert."""

from __future__ import annotations

from pydantic import Field, model_validator

from prometheus.knob_types import Duration, Ratio, Strict

__all__ = ["AlertKnobs", "Alerts", "CauseKnobs"]


class AlertKnobs(Strict):
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
    """A cause that inhibits symptoms (:mod:`prometheus.aftermath`).

    ``keep_firing_for`` holds the cause itself after it clears (default: none, so it resolves,
    and the recovery runner acts, when the cause does); ``inhibit_for`` is how long its
    aftermath alert keeps inhibiting the lagging symptoms (default: the longest window of the
    symptoms, :func:`prometheus.inhibition.symptom_lag`).
    """

    keep_firing_for: Duration | None = None
    inhibit_for: Duration | None = None


class QuantileKnobs(AlertKnobs):
    """A quantile of a duration histogram above a threshold (HighLatency, DatabaseSlow)."""

    quantile: Ratio = 0.99
    threshold_seconds: float = Field(default=1.0, gt=0)


class LatencyKnobs(QuantileKnobs):
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


class DatabaseSlowKnobs(QuantileKnobs):
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


class JobFailedKnobs(Strict):
    """JobFailed fires ``for`` after a failure; it stays firing while one is within ``window``.

    ``for`` must outlast DatabaseDown's: a transient failure during a database outage is
    inhibited by DatabaseDown only once that fires.
    """

    for_: Duration = Field(default="2m", alias="for")
    window: Duration = "10m"


class CircuitOpenKnobs(AlertKnobs):
    """CircuitOpen: a breaker not closed while the dependency is still being called."""

    window: Duration = "5m"


class Alerts(Strict):
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
