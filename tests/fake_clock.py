"""Clocks for tests: time moves only when the test (or something sleeping) moves it.

Both implement :class:`signalpost.clock.Clock`, the one clock protocol that
jobs, the health monitor and the database instrumentation take as ``clock=``.
"""

from __future__ import annotations

import asyncio


class FakeClock:
    """A clock that moves only when told to, or when something sleeps on it (the sleep is
    then instant: back-off tests take no wall-clock time)."""

    def __init__(self, start: float = 1000.0, wall: float = 1_700_000_000.0) -> None:
        self.now = start
        self.wall_offset = wall - start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return self.now + self.wall_offset

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


class SteppedClock(FakeClock):
    """A clock whose async sleepers wait until the test advances time past their deadline.

    For background loops (health checks): ``await clock.step(0.5)`` moves time on and lets
    every task whose sleep has ended run until it waits again.
    """

    def __init__(self, start: float = 1000.0, wall: float = 1_700_000_000.0) -> None:
        super().__init__(start, wall)
        self._waiters: list[tuple[float, asyncio.Future[None]]] = []

    async def async_sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((self.now + seconds, future))
        try:
            await future
        finally:
            self._waiters = [(d, f) for d, f in self._waiters if f is not future]

    def advance(self, seconds: float) -> None:
        self.now += seconds
        for deadline, future in list(self._waiters):
            if deadline <= self.now + 1e-9 and not future.done():  # 1e-9: float sums
                future.set_result(None)

    def sleeping(self, seconds: float) -> bool:
        """Whether a task is waiting on a sleep of ``seconds`` that has not ended."""
        return any(
            abs(deadline - self.now - seconds) < 1e-9 and not future.done()
            for deadline, future in self._waiters
        )

    async def until_sleeping(self, seconds: float, timeout: float = 10.0) -> None:
        """Wait (real time, for threads to report back) until a task sleeps ``seconds``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.sleeping(seconds):
            if loop.time() > deadline:
                raise AssertionError(f"nothing started a {seconds} s sleep in time")
            await asyncio.sleep(0.001)

    async def step(self, seconds: float, *, settle: int = 20) -> None:
        """Advance by ``seconds`` and let the woken tasks run (``settle`` loop turns)."""
        self.advance(seconds)
        for _ in range(settle):
            await asyncio.sleep(0)
