"""Cached check results and the report built from them (what the endpoints serve)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from signalpost.health.result import Status, worst

__all__ = ["ComponentHealth", "HealthReport"]


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True, slots=True)
class ComponentHealth:
    """The last known state of one check.

    Attributes:
        name: The check's name.
        critical: Whether readiness depends on it.
        status: Status of the last run (unhealthy until the first run ends).
        latency_seconds: Duration of the last run, ``None`` before the first.
        details: Facts the check reported.
        error: Why it is not healthy (``None`` when healthy).
        error_class: The shared classifier's class of the exception, if one was raised.
        checked_at: Unix time the last run ended, ``None`` before the first.
        last_success_at: Unix time of the last healthy or degraded run.
        consecutive_failures: Unhealthy runs in a row.
    """

    name: str
    critical: bool
    status: Status = Status.UNHEALTHY
    latency_seconds: float | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = "not checked yet"
    error_class: str | None = None
    checked_at: float | None = None
    last_success_at: float | None = None
    consecutive_failures: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used by the detailed report."""
        return {
            "status": self.status.value,
            "critical": self.critical,
            "latency_seconds": (
                None if self.latency_seconds is None else round(self.latency_seconds, 6)
            ),
            "details": dict(self.details),
            "error": self.error,
            "error_class": self.error_class,
            "checked_at": _iso(self.checked_at),
            "last_success_at": _iso(self.last_success_at),
            "consecutive_failures": self.consecutive_failures,
        }


@dataclass(frozen=True, slots=True)
class HealthReport:
    """A snapshot of every component.

    Attributes:
        status: Unhealthy if a critical component is unhealthy; degraded if any component is
            degraded or a non-critical one unhealthy; healthy otherwise.
        ready: Every critical component is healthy or degraded.
        generated_at: Unix time the snapshot was taken.
        components: Each check's state, in registration order.
    """

    status: Status
    ready: bool
    generated_at: float
    components: tuple[ComponentHealth, ...]

    @classmethod
    def of(cls, components: tuple[ComponentHealth, ...], now: float) -> HealthReport:
        """Summarise ``components``."""
        statuses = [Status.HEALTHY]
        ready = True
        for component in components:
            if component.status is Status.UNHEALTHY and component.critical:
                statuses.append(Status.UNHEALTHY)
                ready = False
            elif component.status is not Status.HEALTHY:
                statuses.append(Status.DEGRADED)
        return cls(worst(*statuses), ready, now, components)

    def component(self, name: str) -> ComponentHealth:
        """Return the component called ``name``; raises :class:`KeyError` if unknown."""
        for component in self.components:
            if component.name == name:
                return component
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document served at the detailed health endpoint."""
        return {
            "status": self.status.value,
            "ready": self.ready,
            "generated_at": _iso(self.generated_at),
            "components": {c.name: c.to_dict() for c in self.components},
        }
