"""Keeping label values bounded whatever the input."""

from __future__ import annotations

import threading

__all__ = ["BoundedValues"]

_OVERFLOW_VALUE = "_other"


class BoundedValues:
    """Passes through at most ``limit`` distinct label values; later new ones become overflow.

    Use it for labels whose values come from code rather than clients but are not a closed set
    (exception type names, job types registered at run time). The first ``limit`` values seen
    keep their name for the life of the process.
    """

    def __init__(self, limit: int = 100, overflow: str = _OVERFLOW_VALUE) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.overflow = overflow
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, value: str) -> str:
        """Return ``value`` if it is known or there is room for it, else the overflow value."""
        if value in self._seen:
            return value
        with self._lock:
            if value in self._seen:
                return value
            if len(self._seen) >= self.limit:
                return self.overflow
            self._seen.add(value)
            return value
