"""What waits in the demo's ``job_queue`` table: the example of a backlog source for your own
queue (see ``docs/jobs.md#jobs-waiting``).

One grouped query per scrape on a connection of its own (the partial index on queued rows
keeps it cheap), reconnecting after a failure; the rows become
:class:`~signalpost.jobs.Backlog` entries.
"""

from __future__ import annotations

import threading
from typing import Any

import psycopg

from signalpost.jobs import Backlog

__all__ = ["QUERY", "QueueTableBacklog"]

QUERY = (
    "SELECT job_type, count(*), extract(epoch FROM min(enqueued_at))::float8"
    " FROM job_queue WHERE state = 'queued' GROUP BY job_type"
)


class QueueTableBacklog:
    """A backlog source reading ``job_queue`` (thread-safe; one connection, made on first use).

    Args:
        url: libpq connection string of the demo database.
        timeout: Seconds to connect and to run the query.
    """

    def __init__(self, url: str, *, timeout: float = 2.0) -> None:
        self._url = url
        self._timeout = timeout
        self._lock = threading.Lock()
        self._conn: psycopg.Connection[Any] | None = None

    def __call__(self) -> list[Backlog]:
        """The queued rows per job type."""
        with self._lock:
            try:
                conn = self._conn
                if conn is None or conn.closed:
                    conn = self._conn = psycopg.connect(
                        self._url, autocommit=True, connect_timeout=max(1, int(self._timeout))
                    )
                    # SET, not the options parameter: that would replace the URL's own.
                    conn.execute(f"SET statement_timeout = {int(self._timeout * 1000)}")
                rows = conn.execute(QUERY).fetchall()
            except psycopg.Error:
                self._close_locked()
                raise
        return [Backlog(str(t), int(n), float(oldest)) for t, n, oldest in rows]

    def _close_locked(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def close(self) -> None:
        """Close the connection (the next call opens a new one)."""
        with self._lock:
            self._close_locked()
