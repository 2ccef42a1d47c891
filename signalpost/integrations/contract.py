"""The contract every integration keeps."""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["Instrumentation", "monitor_options"]


class Instrumentation(Protocol):
    """What installing an integration returns."""

    def uninstrument(self) -> None:
        """Undo this installation only (idempotent): what other installations share with it
        stays while any of them is installed."""


def monitor_options(progress_interval: float, **given: Any) -> dict[str, Any]:
    """The :class:`~signalpost.jobs.MonitoredJob` options of one installation:
    the progress interval and the collaborators given (``None`` ones are left to the runtime).
    """
    options = {name: value for name, value in given.items() if value is not None}
    return {"progress_interval": progress_interval, **options}
