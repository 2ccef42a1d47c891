"""Health checks on an event loop of their own, in a daemon thread: for processes without an
application's event loop (job workers)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Protocol

__all__ = ["start_in_thread"]


class Startable(Protocol):
    """What runs here: :class:`~signalpost.health.monitor.HealthMonitor`."""

    async def start(self, *, wait: bool = False) -> None: ...
    async def stop(self) -> None: ...


def start_in_thread(monitor: Startable, timeout: float | None = 30.0) -> Callable[[], None]:
    """Run the checks on an event loop of their own, in a daemon thread.

    For processes without an application's event loop (job workers): :func:`setup` calls
    it when given a monitor but no app. Returns once the first round has run (or after
    ``timeout`` seconds). Checks given to such a monitor must not rely on objects bound to
    another event loop (an async pool opened elsewhere): sync checks and checks that open
    their own connections fit.

    Returns:
        A function that stops the checks and the thread (waits up to 5 s).
    """
    loop = asyncio.new_event_loop()
    first_round = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(monitor.start(wait=True))
        finally:
            first_round.set()
        loop.run_forever()
        try:
            loop.run_until_complete(monitor.stop())
        finally:
            loop.close()

    thread = threading.Thread(target=serve, name="signalpost-health", daemon=True)
    thread.start()
    first_round.wait(timeout)

    def stop() -> None:
        if not loop.is_closed():
            loop.call_soon_threadsafe(loop.stop)
        thread.join(5.0)

    return stop
