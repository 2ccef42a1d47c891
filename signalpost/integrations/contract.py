"""The contract every integration keeps."""

from __future__ import annotations

from typing import Protocol

__all__ = ["Instrumentation"]


class Instrumentation(Protocol):
    """What installing an integration returns."""

    def uninstrument(self) -> None:
        """Undo this installation only (idempotent): what other installations share with it
        stays while any of them is installed."""
