"""Writes rows to ``alert_history``: one transaction per notification, duplicates skipped."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from alertmanager.history.payload import AlertRecord

__all__ = ["HistoryStore", "StoreUnavailable"]

_INSERT = """
INSERT INTO alert_history (fingerprint, alertname, status, severity, service, starts_at,
                           ends_at, labels, annotations, receiver, group_key)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (fingerprint, status, starts_at, (COALESCE(ends_at, 'epoch'::timestamptz)))
DO NOTHING
"""


class StoreUnavailable(RuntimeError):
    """The database cannot take the rows now; the sender should retry (answered 503)."""


class HistoryStore:
    """Stores notifications through a pool the store owns (open it in the app's lifespan).

    Args:
        pool: An :class:`~psycopg_pool.AsyncConnectionPool` created with ``open=False``.
    """

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self._pool = pool

    async def open(self) -> None:
        """Open the pool without waiting: the receiver starts even while the database is
        down, and answers 503 until it is back."""
        await self._pool.open(wait=False)

    async def close(self) -> None:
        """Close the pool."""
        await self._pool.close()

    async def store(self, records: Sequence[AlertRecord]) -> int:
        """Insert the rows in one transaction; returns how many were new.

        Raises:
            StoreUnavailable: No connection, or the database failed; nothing was stored.
        """
        try:
            async with self._pool.connection() as conn, conn.transaction():
                inserted = 0
                async with conn.cursor() as cur:
                    for r in records:
                        await cur.execute(
                            _INSERT,
                            (
                                r.fingerprint, r.alertname, r.status, r.severity, r.service,
                                r.starts_at, r.ends_at, Jsonb(r.labels), Jsonb(r.annotations),
                                r.receiver, r.group_key,
                            ),
                        )
                        inserted += max(cur.rowcount, 0)
                return inserted
        except (psycopg.Error, PoolTimeout) as exc:
            # Bad values are refused before this point (400), so what fails here is the
            # database: answer 5xx and let Alertmanager deliver again rather than lose a row.
            raise StoreUnavailable(type(exc).__name__) from exc

    async def set_examples(self, record: AlertRecord, trace_ids: Sequence[str]) -> None:
        """Keep example trace IDs with the row of ``record`` (stored before).

        Raises:
            StoreUnavailable: The database failed; the row stays without examples.
        """
        try:
            async with self._pool.connection() as conn:
                await conn.execute(
                    "UPDATE alert_history SET example_trace_ids = %s WHERE fingerprint = %s"
                    " AND status = %s AND starts_at = %s AND ends_at IS NOT DISTINCT FROM %s",
                    (list(trace_ids), record.fingerprint, record.status, record.starts_at,
                     record.ends_at),
                )
        except (psycopg.Error, PoolTimeout) as exc:
            raise StoreUnavailable(type(exc).__name__) from exc
