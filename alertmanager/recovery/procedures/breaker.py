"""``breaker_watch``: a breaker that opened is already the recovery (it sheds the dependency and
probes it half-open); the procedure acts by waiting, and the runner escalates (pages) only when
``CircuitOpen`` is still firing after the rule's ``verify_within``.

Written against the alert ``CircuitOpen`` with labels ``service`` and ``dependency``.
"""

from __future__ import annotations

from alertmanager.history.payload import AlertRecord

__all__ = ["BreakerWatch"]


class BreakerWatch:
    """Nothing to do but let the breaker's half-open probes work; page if they do not."""

    def check(self, alert: AlertRecord) -> str | None:
        """Acts only on an alert that names its dependency."""
        return None if alert.labels.get("dependency") else "the alert has no dependency label"

    def act(self, alert: AlertRecord) -> str:
        """Nothing to change: says what the runner waits for."""
        return (f"left the breaker of {alert.labels['dependency']} to its half-open probes")

    def verify(self, alert: AlertRecord) -> bool | None:
        """Alertmanager decides: the breaker closed when ``CircuitOpen`` resolved."""
        return None
