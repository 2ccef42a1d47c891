"""The clock every component reads and sleeps on, injectable so that tests control time.

Jobs, the health monitor and the database instrumentation all take ``clock=`` (a
:class:`Clock`); by default the one :func:`signalpost.setup` installed (see
:mod:`signalpost.runtime`), which is :data:`system_clock` unless a test
installed its own.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

__all__ = ["Clock", "system_clock"]


class Clock(Protocol):
    """Where Signalpost reads the time and waits.

    ``monotonic`` measures durations, deadlines, ages and intervals; ``time`` stamps
    wall-clock events (last success, ``checked_at``). ``sleep`` and ``async_sleep`` wait out
    retry back-off and the pause between health-check runs, so a fake clock makes those tests
    instant and independent of the machine's load.
    """

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back."""
        ...

    def time(self) -> float:
        """Seconds since the Unix epoch."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block the calling thread for ``seconds``."""
        ...

    async def async_sleep(self, seconds: float) -> None:
        """Suspend the calling task for ``seconds``."""
        ...


class _SystemClock:
    """The real clock: :func:`time.monotonic`, :func:`time.time` and real sleeping."""

    def monotonic(self) -> float:
        """Return :func:`time.monotonic`."""
        return time.monotonic()

    def time(self) -> float:
        """Return :func:`time.time`."""
        return time.time()

    def sleep(self, seconds: float) -> None:
        """Call :func:`time.sleep`."""
        time.sleep(seconds)

    async def async_sleep(self, seconds: float) -> None:
        """Await :func:`asyncio.sleep`."""
        await asyncio.sleep(seconds)


system_clock = _SystemClock()
"""The real clock, the default until :func:`signalpost.setup` or a test installs another."""
