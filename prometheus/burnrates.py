"""The SRE workbook's multi-window, multi-burn-rate tiers: the one table the SLO alerts, the
knobs' validation and the dashboards read."""

from __future__ import annotations

from prometheus.catalog import Alert, Severity

__all__ = ["BURN_TIERS", "Tier", "unreachable_tiers"]

Tier = tuple[str, str, float]
"""(long window, short window, burn rate)."""

# (alert, severity, tiers): fast burns page, slow burns open a ticket.
BURN_TIERS: tuple[tuple[Alert, Severity, tuple[Tier, ...]], ...] = (
    (Alert.ERROR_BUDGET_BURN_FAST, Severity.CRITICAL, (("1h", "5m", 14.4), ("6h", "30m", 6.0))),
    (Alert.ERROR_BUDGET_BURN_SLOW, Severity.WARNING, (("1d", "2h", 3.0), ("3d", "6h", 1.0))),
)


def unreachable_tiers(target: float) -> list[float]:
    """Burn rates that an SLO with ``target`` can never reach (the error ratio is at most 1)."""
    return [rate for _, _, tiers in BURN_TIERS for _, _, rate in tiers if rate * (1 - target) >= 1]
