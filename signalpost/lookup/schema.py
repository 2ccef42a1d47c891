"""The trace and log store's tables: one owner of their names, columns and partitions.

Spans and log records live in ``signalpost_spans`` and ``signalpost_logs``, both partitioned
by the hour of their timestamp (``..._pYYYYMMDDHH``) with a default partition for anything
outside the hours prepared. Retention drops whole hours (cheap, and it returns the disk at
once, unlike ``DELETE``); see :func:`ensure_partitions` and :func:`drop_partitions`.
The receiver (``collector.receiver``) writes; :mod:`signalpost.lookup.localstore` reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = [
    "FINAL_JOB_EVENTS",
    "LOGS",
    "LOG_COLUMNS",
    "SPANS",
    "SPAN_COLUMNS",
    "Partition",
    "drop_partitions",
    "ensure_partitions",
    "migrate",
    "partitions",
]

SPANS = "signalpost_spans"
LOGS = "signalpost_logs"
SPAN_COLUMNS = (
    "trace_id", "span_id", "parent_span_id", "service", "instance", "name", "kind", "start_time",
    "duration_ns", "status_code", "status_message", "attributes", "events",
)
LOG_COLUMNS = (
    "time", "trace_id", "span_id", "service", "instance", "severity_number", "severity_text",
    "body", "attributes",
)
FINAL_JOB_EVENTS = ("succeeded", "failed", "timed_out", "cancelled")
"""``job.event`` values of the log line that ends a run (the runs listing reads these)."""

_LOCK_ID = 0x5167_0021
_FINAL = ", ".join(f"'{e}'" for e in FINAL_JOB_EVENTS)
_DDL = f"""
CREATE TABLE IF NOT EXISTS {SPANS} (
    trace_id text NOT NULL,
    span_id text NOT NULL,
    parent_span_id text,
    service text NOT NULL,
    instance text,
    name text NOT NULL,
    kind smallint NOT NULL,
    start_time timestamptz NOT NULL,
    duration_ns bigint NOT NULL,
    status_code smallint NOT NULL,
    status_message text,
    attributes jsonb NOT NULL,
    events jsonb
) PARTITION BY RANGE (start_time);
CREATE TABLE IF NOT EXISTS {SPANS}_default PARTITION OF {SPANS} DEFAULT;
CREATE INDEX IF NOT EXISTS {SPANS}_trace ON {SPANS} (trace_id);
CREATE INDEX IF NOT EXISTS {SPANS}_request ON {SPANS} ((attributes->>'request.id'))
    WHERE attributes ? 'request.id';
CREATE INDEX IF NOT EXISTS {SPANS}_job ON {SPANS} ((attributes->>'job.id'))
    WHERE attributes ? 'job.id';

CREATE TABLE IF NOT EXISTS {LOGS} (
    time timestamptz NOT NULL,
    trace_id text,
    span_id text,
    service text NOT NULL,
    instance text,
    severity_number smallint NOT NULL,
    severity_text text,
    body text,
    attributes jsonb NOT NULL
) PARTITION BY RANGE (time);
CREATE TABLE IF NOT EXISTS {LOGS}_default PARTITION OF {LOGS} DEFAULT;
CREATE INDEX IF NOT EXISTS {LOGS}_trace ON {LOGS} (trace_id) WHERE trace_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS {LOGS}_request ON {LOGS} ((attributes->>'request.id'))
    WHERE attributes ? 'request.id';
CREATE INDEX IF NOT EXISTS {LOGS}_job ON {LOGS} ((attributes->>'job.id'))
    WHERE attributes ? 'job.id';
CREATE INDEX IF NOT EXISTS {LOGS}_runs ON {LOGS} (time)
    WHERE attributes->>'job.event' IN ({_FINAL});
"""


def migrate(conn: Any) -> None:
    """Create the tables and indexes if missing (``conn``: a sync psycopg connection)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
        conn.execute(_DDL.encode())


@dataclass(frozen=True)
class Partition:
    """One hour of one table."""

    table: str
    name: str
    hour: datetime
    bytes: int


def _name(table: str, hour: datetime) -> str:
    return f"{table}_p{hour:%Y%m%d%H}"


def ensure_partitions(conn: Any, now: datetime, ahead: int = 2) -> None:
    """Create the hourly partitions from the hour before ``now`` to ``ahead`` hours after.

    Rows already in the default partition for one of those hours stay there (PostgreSQL
    refuses to create the partition then); they are still read, and aged out by
    :func:`drop_partitions`.
    """
    start = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    existing = {p.name for p in partitions(conn)}
    for offset in range(-1, ahead + 1):
        hour = start + timedelta(hours=offset)
        for table in (SPANS, LOGS):
            name = _name(table, hour)
            if name in existing:
                continue
            try:
                with conn.transaction():
                    conn.execute(
                        f"CREATE TABLE {name} PARTITION OF {table} FOR VALUES FROM "
                        f"('{hour.isoformat()}') TO ('{(hour + timedelta(hours=1)).isoformat()}')"
                    )
            except Exception as error:  # the default partition holds rows of that hour
                if "default partition" not in str(error):
                    raise


def partitions(conn: Any) -> list[Partition]:
    """The hourly partitions of both tables, oldest first, with their size on disk."""
    rows = conn.execute(
        "SELECT p.relname::text, c.relname::text, pg_total_relation_size(i.inhrelid)"
        " FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " JOIN pg_class p ON p.oid = i.inhparent"
        " WHERE p.relname IN (%s, %s) AND c.relname LIKE '%%\\_p__________'",
        (SPANS, LOGS),
    ).fetchall()
    found = [
        Partition(table, name, datetime.strptime(name[-10:], "%Y%m%d%H").replace(tzinfo=UTC),
                  int(size))
        for table, name, size in rows
    ]
    return sorted(found, key=lambda p: (p.hour, p.table))


def drop_partitions(conn: Any, now: datetime, max_age: timedelta, max_bytes: int) -> list[str]:
    """Apply retention: drop the hours older than ``max_age``, then the oldest hours while
    the store is larger than ``max_bytes`` (never the current hour); returns what was dropped.

    The default partitions are aged out row by row. Sizes include indexes and TOAST.
    """
    dropped: list[str] = []
    cutoff = now.astimezone(UTC) - max_age
    current = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    found = partitions(conn)
    total = sum(p.bytes for p in found) + _default_bytes(conn)
    for partition in found:
        too_old = partition.hour + timedelta(hours=1) <= cutoff
        too_big = total > max_bytes and partition.hour < current
        if not (too_old or too_big):
            continue
        with conn.transaction():
            conn.execute(f"DROP TABLE IF EXISTS {partition.name}")
        total -= partition.bytes
        dropped.append(partition.name)
    with conn.transaction():
        conn.execute(f"DELETE FROM {SPANS}_default WHERE start_time < %s", (cutoff,))
        conn.execute(f"DELETE FROM {LOGS}_default WHERE time < %s", (cutoff,))
    return dropped


def _default_bytes(conn: Any) -> int:
    row = conn.execute(
        "SELECT pg_total_relation_size(%s::regclass) + pg_total_relation_size(%s::regclass)",
        (f"{SPANS}_default", f"{LOGS}_default"),
    ).fetchone()
    return int(row[0])
