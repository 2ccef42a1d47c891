"""The health check that shows breakers in ``/health``: open means degraded, not down.

A breaker that opened is doing its job (the service sheds a dependency and serves without
it), so the check is non-critical and reports degraded: readiness stays up and no replica is
taken out of service because a dependency failed.
"""

from __future__ import annotations

from collections.abc import Iterable

from signalpost.breaker.breaker import CircuitBreaker
from signalpost.breaker.state import BreakerState
from signalpost.health.result import CheckResult

__all__ = ["BreakerCheck"]


class BreakerCheck:
    """A :class:`~signalpost.health.HealthCheck` over one or more breakers.

    Healthy while every breaker is closed; degraded while any is open or half-open, with each
    breaker's state in the details.

    Example:
        >>> monitor.add(BreakerCheck([scoring, smtp]))

    Args:
        breakers: The breakers to report.
        name: The check's name (a metric label).
        interval: Seconds between two readings (reading a state costs nothing).
    """

    critical = False
    timeout = 1.0

    def __init__(
        self,
        breakers: Iterable[CircuitBreaker],
        *,
        name: str = "circuit_breakers",
        interval: float = 5.0,
    ) -> None:
        self.breakers = tuple(breakers)
        self.name = name
        self.interval = interval

    async def run(self) -> CheckResult:
        """Read every breaker's state (on the loop: no I/O)."""
        states = {b.name: b.state for b in self.breakers}
        details = {
            name: {"state": state.value, "retry_in_seconds": round(b.machine.retry_in(), 3)}
            for (name, state), b in zip(states.items(), self.breakers, strict=True)
        }
        shed = sorted(n for n, s in states.items() if s is not BreakerState.CLOSED)
        if shed:
            listed = ", ".join(f"{n} {states[n].value}" for n in shed)
            return CheckResult.degraded(f"circuit breaker {listed}", breakers=details)
        return CheckResult.healthy(breakers=details)
