"""The recovery runner's records in ``recovery_actions`` (migration 0003 of the alert history),
and the rate limits, counted from those records in one locked transaction so that two
notifications arriving together cannot both pass a limit of one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from alertmanager.history.payload import AlertRecord
from alertmanager.history.store import StoreUnavailable
from alertmanager.recovery.config import Rule
from alertmanager.recovery.metrics import RecoveryMetrics

__all__ = ["Audit", "Decision", "StoreUnavailable"]

_INSERT = """
INSERT INTO recovery_actions (fingerprint, alertname, service, starts_at, labels, rule, procedure,
                              target, decision, detail, seconds)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
RETURNING id
"""
# The latest acted/verified/failed row of the target: a recent 'acted' means a verification is
# running; an older one was left by a runner that stopped mid-way, and blocks nothing.
_LATEST = """
SELECT decision, at > now() - make_interval(secs => %s) FROM recovery_actions
WHERE procedure = %s AND target = %s AND decision IN ('acted', 'verified', 'failed')
ORDER BY id DESC LIMIT 1
"""
_GRACE = 60.0  # seconds an action may take before its verification starts
_COUNT = """
SELECT count(*) FILTER (WHERE target = %s), count(*) FROM recovery_actions
WHERE procedure = %s AND decision = 'acted' AND at > now() - make_interval(secs => %s)
"""


@dataclass(frozen=True)
class Decision:
    """One recorded decision."""

    id: int
    decision: str
    detail: str


class Audit:
    """Writes decisions through a pool it owns (open it in the app's lifespan).

    Args:
        pool: An :class:`~psycopg_pool.AsyncConnectionPool` created with ``open=False``.
        metrics: Counts every decision recorded (a fresh, unserved set by default).
    """

    def __init__(
        self, pool: AsyncConnectionPool[Any], metrics: RecoveryMetrics | None = None
    ) -> None:
        self._pool = pool
        self._metrics = metrics or RecoveryMetrics()

    async def open(self) -> None:
        """Open the pool without waiting (503 until the database answers)."""
        await self._pool.open(wait=False)

    async def close(self) -> None:
        """Close the pool."""
        await self._pool.close()

    async def record(
        self, rule: Rule, alert: AlertRecord, decision: str, detail: str,
        seconds: float | None = None,
    ) -> Decision:
        """Insert one decision row.

        Raises:
            StoreUnavailable: The database failed; nothing was recorded.
        """
        try:
            async with self._pool.connection() as conn:
                recorded = await self._insert(conn, rule, alert, decision, detail, seconds)
        except (psycopg.Error, PoolTimeout) as exc:
            raise StoreUnavailable(type(exc).__name__) from exc
        self._metrics.decided(rule.procedure, decision)
        return recorded

    async def claim(self, rule: Rule, alert: AlertRecord, detail: str) -> Decision:
        """Record ``acted`` if the rate limits allow it, else ``skipped`` naming the limit.

        Raises:
            StoreUnavailable: The database failed; nothing was recorded, nothing may run.
        """
        target = rule.target(alert.labels)
        try:
            async with self._pool.connection() as conn, conn.transaction():
                # One lock per procedure: the counts below cannot change until we commit.
                await conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))",
                                   (f"recovery:{rule.procedure}",))
                latest = await (await conn.execute(
                    _LATEST, (rule.verify_within + _GRACE, rule.procedure, target))).fetchone()
                row = await (await conn.execute(
                    _COUNT, (target, rule.procedure, rule.window))).fetchone()
                on_target, on_procedure = row if row else (0, 0)
                reason = None
                if latest is not None and latest[0] == "acted" and latest[1]:
                    reason = f"in progress: {rule.procedure} on {target} is being verified"
                elif on_target >= rule.max_per_target:
                    reason = (f"rate limit per target: {on_target} action(s) on {target} within "
                              f"{rule.window:g} s (max {rule.max_per_target})")
                elif on_procedure >= rule.max_per_procedure:
                    reason = (f"rate limit per procedure: {on_procedure} action(s) of "
                              f"{rule.procedure} within {rule.window:g} s "
                              f"(max {rule.max_per_procedure})")
                if reason is not None:
                    claimed = await self._insert(conn, rule, alert, "skipped", reason, None)
                else:
                    claimed = await self._insert(conn, rule, alert, "acted", detail, None)
        except (psycopg.Error, PoolTimeout) as exc:
            raise StoreUnavailable(type(exc).__name__) from exc
        self._metrics.decided(rule.procedure, claimed.decision)
        return claimed

    async def complete(self, decision: Decision, detail: str, seconds: float) -> None:
        """Replace the detail of an ``acted`` row with what was done, and how long it took."""
        try:
            async with self._pool.connection() as conn:
                await conn.execute(
                    "UPDATE recovery_actions SET detail = %s, seconds = %s WHERE id = %s",
                    (detail, seconds, decision.id),
                )
        except (psycopg.Error, PoolTimeout) as exc:
            raise StoreUnavailable(type(exc).__name__) from exc

    @staticmethod
    async def _insert(
        conn: psycopg.AsyncConnection[Any], rule: Rule, alert: AlertRecord, decision: str,
        detail: str, seconds: float | None,
    ) -> Decision:
        cursor = await conn.execute(_INSERT, (
            alert.fingerprint, alert.alertname, alert.service, alert.starts_at,
            Jsonb(alert.labels), rule.name, rule.procedure, rule.target(alert.labels),
            decision, detail, seconds,
        ))
        row = await cursor.fetchone()
        assert row is not None  # INSERT ... RETURNING always returns the row
        return Decision(int(row[0]), decision, detail)
