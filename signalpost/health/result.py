"""What a health check returns: a status, details and an optional error message."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["CheckResult", "Status", "worst"]


class Status(StrEnum):
    """The health of one component or of the whole process, best first."""

    HEALTHY = "healthy"
    """Working as expected."""
    DEGRADED = "degraded"
    """Working, but slow or close to a limit: still ready to serve."""
    UNHEALTHY = "unhealthy"
    """Not working (or not checked yet, or stale)."""


_RANK = {Status.HEALTHY: 0, Status.DEGRADED: 1, Status.UNHEALTHY: 2}


def worst(*statuses: Status) -> Status:
    """Return the worst of ``statuses`` (healthy if none)."""
    return max(statuses, key=_RANK.__getitem__, default=Status.HEALTHY)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of one check run.

    A check may also return a bare :class:`Status`, ``True``/``None`` (healthy) or ``False``
    (unhealthy), or raise (unhealthy, with the exception as the error).

    Attributes:
        status: Healthy, degraded or unhealthy.
        details: JSON-serialisable facts shown in the detailed report (latencies, versions,
            the list of problems found). Never secrets.
        error: Why the component is not healthy, in one line.
    """

    status: Status
    details: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None

    @classmethod
    def healthy(cls, **details: Any) -> CheckResult:
        """A healthy result with ``details``."""
        return cls(Status.HEALTHY, details)

    @classmethod
    def degraded(cls, reason: str, **details: Any) -> CheckResult:
        """A degraded result: ``reason`` says which limit was crossed."""
        return cls(Status.DEGRADED, details, reason)

    @classmethod
    def unhealthy(cls, reason: str, **details: Any) -> CheckResult:
        """An unhealthy result: ``reason`` says what failed."""
        return cls(Status.UNHEALTHY, details, reason)
