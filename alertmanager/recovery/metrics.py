"""The recovery runner's own metrics, served at its ``/metrics`` (Prometheus scrapes it as the
``recovery-runner`` monitoring target, so ``MonitoringTargetDown`` covers the runner)."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["DECISIONS", "DECISIONS_TOTAL", "IN_FLIGHT", "SERIES", "RecoveryMetrics"]

DECISIONS: tuple[str, ...] = ("acted", "skipped", "dry_run", "verified", "failed", "escalated")
"""Every decision the runner records (the ``decision`` column of ``recovery_actions``)."""
DECISIONS_TOTAL = "signalpost_recovery_decisions_total"
IN_FLIGHT = "signalpost_recovery_actions_in_flight"
_VERIFICATION = "signalpost_recovery_verification_duration_seconds"
_LAST_ESCALATION = "signalpost_recovery_last_escalation_timestamp_seconds"
SERIES: frozenset[str] = frozenset({
    DECISIONS_TOTAL, IN_FLIGHT, _LAST_ESCALATION,
    *(f"{_VERIFICATION}_{suffix}" for suffix in ("bucket", "count", "sum")),
})
"""The series names the runner's ``/metrics`` serves (dashboards and tests read these)."""
_VERIFY_BUCKETS = (1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 90.0, 120.0, 300.0, 600.0)


class RecoveryMetrics:
    """Decisions by procedure and outcome, actions in flight, verification durations and the
    time of the last escalation.

    Args:
        registry: Where the metrics are registered (a fresh one per runner by default).
        procedures: Procedure names whose series start at zero, so that the first decision
            of each counts in ``increase()`` (prometheus-client creates a series at its first
            value otherwise).
    """

    def __init__(
        self, registry: CollectorRegistry | None = None, procedures: Iterable[str] = ()
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self._decisions = Counter(
            DECISIONS_TOTAL.removesuffix("_total"), "Decisions of the recovery runner.",
            ["procedure", "decision"], registry=self.registry,
        )
        self._in_flight = Gauge(
            IN_FLIGHT,
            "Actions running or being verified.", ["procedure"], registry=self.registry,
        )
        self._verification = Histogram(
            _VERIFICATION,
            "Seconds from the end of an action to its verdict (verified or failed).",
            ["procedure", "outcome"], buckets=_VERIFY_BUCKETS, registry=self.registry,
        )
        self._last_escalation = Gauge(
            _LAST_ESCALATION,
            "Unix time of the last RecoveryFailed the runner posted.",
            ["procedure"], registry=self.registry,
        )
        for procedure in procedures:
            for decision in DECISIONS:
                self._decisions.labels(procedure, decision)
            self._in_flight.labels(procedure)

    def decided(self, procedure: str, decision: str) -> None:
        """Count one recorded decision."""
        self._decisions.labels(procedure, decision).inc()

    def action_started(self, procedure: str) -> None:
        """An action starts (it stays in flight until its verdict)."""
        self._in_flight.labels(procedure).inc()

    def action_ended(self, procedure: str) -> None:
        """An action got its verdict."""
        self._in_flight.labels(procedure).dec()

    def verified(self, procedure: str, outcome: str, seconds: float) -> None:
        """How long a verification took, ``outcome`` being ``verified`` or ``failed``."""
        self._verification.labels(procedure, outcome).observe(seconds)

    def escalated(self, procedure: str) -> None:
        """A RecoveryFailed was posted now."""
        self._last_escalation.labels(procedure).set_to_current_time()
