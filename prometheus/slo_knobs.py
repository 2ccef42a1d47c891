"""The ``slos`` section of the knobs: the objectives and their burn-rate alerting."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from prometheus.burnrates import unreachable_tiers
from prometheus.knob_types import Duration, Ratio, Strict
from signalpost.semconv import http

__all__ = ["Objective", "Slos"]


class Objective(Strict):
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


class Slos(Strict):
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
