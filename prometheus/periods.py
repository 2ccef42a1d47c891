"""Windows over periodic work: long enough to always hold at least one run of it.

Roll-up groups run hourly or daily, their remote writes follow them: a counter of their
failures only grows once per period, so it is read with ``increase`` over :func:`grace` of the
period (75m for hourly work, 25h for daily), chosen per rule group from its own interval and
per remote-write queue from its name. Used by the meta-alerts (:mod:`prometheus.meta`).
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus import recording as r
from prometheus import selfmetrics as m
from prometheus.inhibition import duration
from prometheus.knobs import Knobs, seconds
from prometheus.promql import by, match, no_match, num, selector

__all__ = [
    "FREQUENT_WINDOW",
    "STALE_MARGIN",
    "grace",
    "labels",
    "per_group",
    "per_remote",
]

FREQUENT_WINDOW = "15m"
"""Window of counters fed every evaluation or scrape (work done at least every few minutes)."""
STALE_MARGIN = "1m"
"""Slack beyond two intervals before a group counts as stale: the last-evaluation metric is read
through a scrape, up to a scrape interval late."""


def labels(k: Knobs, *extra: str) -> tuple[str, ...]:
    """The service label (knob ``service_label``), job and instance, then ``extra``."""
    return tuple(dict.fromkeys((k.service_label, "job", "instance", *extra)))


def grace(period: str) -> str:
    """The window that always holds at least one run of work done every ``period``."""
    total = seconds(period)
    return duration(total + max(seconds(FREQUENT_WINDOW), total / 24))


def _tiers() -> list[tuple[float, float | None, str]]:
    """(lowest interval, highest interval or None, window): frequent, hourly, daily."""
    bounds = [seconds(w) for w in r.ROLLUP_WINDOWS]
    tiers: list[tuple[float, float | None, str]] = [(0, bounds[0], FREQUENT_WINDOW)]
    for i, (low, window) in enumerate(zip(bounds, r.ROLLUP_WINDOWS, strict=True)):
        high = bounds[i + 1] if i + 1 < len(bounds) else None
        tiers.append((low, high, grace(window)))
    return tiers


def per_group(metric: str, mon: str, group: tuple[str, ...]) -> str:
    """Groups whose ``metric`` grew within the window of their own evaluation interval."""
    clauses = []
    for low, high, window in _tiers():
        interval = selector(m.PROMETHEUS_RULE_GROUP_INTERVAL, mon)
        above = (f">= {num(low)}",) if low else ()
        below = (f"< {num(high)}",) if high else ()
        bound = " ".join((interval, *above, *below))
        clauses.append(
            f"(sum {by(group)} (increase({selector(metric, mon)}[{window}])) > 0 "
            f"and on ({', '.join(group)}) ({bound}))"
        )
    return " or ".join(clauses)


def _rollup_remote(window: str) -> str:
    # prometheus/config.py names the remote write of each roll-up tier `rollup-<window>`
    # (with a `-<n>` suffix when a tier has several stores).
    return f"rollup-{window}(-[0-9]+)?"


def per_remote(clause: Callable[[str, str], str]) -> str:
    """``clause(remote_name matcher, window)`` per remote-write tier, joined by ``or``."""
    clauses = [clause(match("remote_name", _rollup_remote(w)), grace(w)) for w in r.ROLLUP_WINDOWS]
    others = "|".join(_rollup_remote(w) for w in r.ROLLUP_WINDOWS)
    clauses.append(clause(no_match("remote_name", others), FREQUENT_WINDOW))
    return " or ".join(f"({c})" for c in clauses)
