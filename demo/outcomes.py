"""The final states the worker owes its database, kept until they are written.

A run that ends while the database is down (a failure caused by the outage, or one that merely
ended then) cannot record its state in ``job_queue`` at that moment. The worker keeps it here,
with the time it ended, and writes it once the database answers again, as a worker with a
durable queue does. The recovery runner's re-enqueue hook reads those rows when
``DatabaseDown`` resolves (:class:`demo.recovery.QueueReenqueueHook`), so the worker's database
check writes what is owed before it reports the database healthy (:class:`OwedFirstCheck`):
the outage cannot resolve for the worker before its failures are in the table.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from demo import store
from signalpost.health.result import CheckResult

__all__ = ["Outcome", "OwedFirstCheck", "OwedOutcomes"]


@dataclass(frozen=True)
class Outcome:
    """One run's final state, as ``job_queue`` records it."""

    job_id: int
    state: str
    error: str | None
    error_class: str | None
    ended: datetime


class OwedOutcomes:
    """Outcomes not written yet, oldest first; :meth:`flush` writes them through ``pool``.

    Made on the event loop that owns ``pool``; :meth:`flush_from_any_loop` runs the writes
    there for a caller on another loop (the health checks of a worker run on their own).
    """

    def __init__(self, pool: Any) -> None:
        self._pool = pool
        self._loop = asyncio.get_running_loop()
        self._owed: dict[int, Outcome] = {}
        self._lock = asyncio.Lock()

    def add(
        self, job_id: int, state: str, error: str | None = None, error_class: str | None = None
    ) -> None:
        """Note ``job_id``'s final state, ended now."""
        self._owed[job_id] = Outcome(job_id, state, error, error_class, datetime.now(UTC))

    def owes(self, job_id: int) -> bool:
        """Whether ``job_id``'s state is still to be written."""
        return job_id in self._owed

    def __len__(self) -> int:
        return len(self._owed)

    async def flush(self) -> None:
        """Write every owed outcome; raises (keeping the rest) when the database fails."""
        async with self._lock:
            for outcome in list(self._owed.values()):
                await store.finish_job(
                    self._pool, outcome.job_id, outcome.state, outcome.error,
                    outcome.error_class, outcome.ended,
                )
                del self._owed[outcome.job_id]

    async def flush_from_any_loop(self) -> None:
        """:meth:`flush` on the pool's event loop, awaited from the caller's."""
        if asyncio.get_running_loop() is self._loop:
            await self.flush()
        else:
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self.flush(), self._loop))


class OwedFirstCheck:
    """A database check that first writes the worker's owed outcomes: the database counts as
    up for the worker once the worker has caught up with it (a failed write is unhealthy).

    Args:
        check: The database check proper (``name``, ``critical``, ``timeout`` and ``interval``
            are its own).
        owed: The worker's owed outcomes.
    """

    def __init__(self, check: Any, owed: OwedOutcomes) -> None:
        self._check = check
        self._owed = owed
        self.name: str = check.name
        self.critical: bool = check.critical
        self.timeout: float = check.timeout
        self.interval: float = check.interval

    async def run(self) -> CheckResult:
        """Write what is owed, then run the check."""
        await self._owed.flush_from_any_loop()
        result: CheckResult = await self._check.run()
        return result
