"""How long a cause keeps inhibiting after it clears: the longest lag of the symptoms it explains.

When the database or a service comes back, the symptoms computed over a window (latency over
5 minutes, failure ratio over 30, the fast burn's 30-minute short window) stay above their
thresholds until the bad minutes have left that window. ServiceDown and DatabaseDown keep
firing (``keep_firing_for``) that long, so the lagging symptoms stay inhibited instead of
paging after the all-clear.
"""

from __future__ import annotations

from prometheus import recording as r
from prometheus.catalog import Severity
from prometheus.knobs import Knobs, seconds
from prometheus.slo import BURN_TIERS

__all__ = ["duration", "symptom_lag"]


def duration(total: float) -> str:
    """``total`` seconds as the shortest Prometheus duration (``90m`` → ``90m``, 3600 → ``1h``)."""
    whole = int(total)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if whole and whole % size == 0:
            return f"{whole // size}{unit}"
    return f"{whole}s"


def symptom_lag(knobs: Knobs) -> str:
    """The longest window over which an inhibited symptom can outlast its cause.

    The slow burn's short windows (2h, 6h) are left out on purpose: a slow burn after an outage
    is budget really spent, a ticket worth having.
    """
    a = knobs.alerts
    windows = [
        r.SLO_BURN_WINDOWS[0],  # every 5-minute rate recording: latency, request rates
        a.error_spike.window,
        a.job_failure_ratio_high.window,
        a.job_retry_storm.window,
        *(
            short
            for _, severity, tiers in BURN_TIERS
            if severity is Severity.CRITICAL
            for _, short, _ in tiers
        ),
    ]
    return duration(max(seconds(w) for w in windows))
