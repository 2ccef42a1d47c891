"""The shape of a health check, and the adapter that makes one from a plain function."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from signalpost.health.result import CheckResult, Status

__all__ = ["CheckOutcome", "FunctionCheck", "HealthCheck", "is_async_check"]

CheckOutcome = CheckResult | Status | bool | None
"""What a check's ``run`` may return; see :class:`CheckResult`."""


@runtime_checkable
class HealthCheck(Protocol):
    """Anything with these attributes and a ``run`` method is a check.

    ``run`` is either ``async def`` (awaited on the event loop: it must not block) or a plain
    function (run in a worker thread, so blocking calls are fine). It returns a
    :data:`CheckOutcome` or raises; the monitor applies ``timeout`` in both cases.

    Attributes:
        name: Unique, stable, low-cardinality name; used as a metric label.
        critical: Whether readiness depends on it.
        timeout: Seconds after which a run counts as failed.
        interval: Seconds between the starts of two runs.
    """

    name: str
    critical: bool
    timeout: float
    interval: float

    def run(self) -> CheckOutcome | Awaitable[CheckOutcome]:
        """Check the component once."""
        ...


@dataclass(slots=True)
class FunctionCheck:
    """A check made from a function (sync or async) taking no arguments.

    Example:
        >>> def disk_mounted() -> bool:
        ...     return os.path.ismount("/data")
        >>> monitor.add(FunctionCheck("data-disk", disk_mounted, critical=False))
    """

    name: str
    func: Callable[[], CheckOutcome] | Callable[[], Awaitable[CheckOutcome]]
    critical: bool = True
    timeout: float = 5.0
    interval: float = 15.0

    def run(self) -> Any:
        """Call the function."""
        return self.func()

    @property
    def is_async(self) -> bool:
        """Whether the function is a coroutine function."""
        return inspect.iscoroutinefunction(self.func)


def is_async_check(check: HealthCheck) -> bool:
    """Whether ``check.run`` must be awaited on the loop rather than run in a thread."""
    declared = getattr(check, "is_async", None)
    if isinstance(declared, bool):
        return declared
    return inspect.iscoroutinefunction(check.run)
