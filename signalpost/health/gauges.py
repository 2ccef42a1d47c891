"""The health status gauges, read when they are collected.

A check whose task died, or whose event loop is blocked, stops recording: a gauge holding its
last value would report it healthy forever while ``/health`` calls it stale. So each status
child reads the monitor's current, staleness-aware status at collect time (prometheus-client's
``Gauge.set_function``). The values are also written whenever a check of the monitor records a
result, stale ones included: prometheus-client's multiprocess mode reads what was written (it
collects from files, not from functions).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from prometheus_client import CollectorRegistry

from signalpost import metrics
from signalpost.health.result import Status
from signalpost.semconv import health as semconv

__all__ = ["StatusGauges"]


class StatusGauges:
    """The per-check status gauge and the overall one of a :class:`HealthMonitor`.

    Args:
        registry: Where the gauges live.
        overall: Returns the overall status now (read at collect time).
    """

    def __init__(self, registry: CollectorRegistry, overall: Callable[[], Status]) -> None:
        self._status = metrics.gauge(semconv.CHECK_STATUS, registry)
        self._overall = {
            s: metrics.gauge(semconv.HEALTH_STATUS, registry).labels(s.value) for s in Status
        }
        for value, child in self._overall.items():
            child.set_function(_is(value, overall))
        self._checks: dict[str, dict[Status, Any]] = {}

    def add(self, name: str, label: str, kind: str, current: Callable[[], Status]) -> None:
        """Bind the children of check ``name`` (label value ``label``) to ``current``."""
        children = {s: self._status.labels(label, kind, s.value) for s in Status}
        for value, child in children.items():
            child.set_function(_is(value, current))
        self._checks[name] = children

    def record(self, statuses: Mapping[str, Status], overall: Status) -> None:
        """Write the statuses of the checks named and the overall one (what multiprocess
        mode's files hold)."""
        for name, status in statuses.items():
            # A check being added in another thread has no children yet: its own add records it.
            for value, child in self._checks.get(name, {}).items():
                child.set(1 if value is status else 0)
        for value, child in self._overall.items():
            child.set(1 if value is overall else 0)


def _is(value: Status, current: Callable[[], Status]) -> Callable[[], float]:
    return lambda: 1.0 if current() is value else 0.0
