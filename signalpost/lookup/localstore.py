"""Reads the local store (the tables of :mod:`signalpost.lookup.schema`); needs the
``postgres`` extra."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from signalpost.lookup import schema
from signalpost.lookup.model import Finding, LogEntry, Run, Span, Trace

__all__ = ["LocalStore"]

_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
_SPAN_SELECT = (
    "SELECT trace_id, span_id, parent_span_id, service, name, kind, start_time, duration_ns,"
    f" status_code, status_message, attributes, events, instance FROM {schema.SPANS}"
)
_LOG_SELECT = (
    "SELECT time, service, severity_number, severity_text, body, trace_id, span_id, attributes,"
    f" instance FROM {schema.LOGS}"
)


def _span(row: Sequence[Any]) -> Span:
    return Span(
        trace_id=row[0], span_id=row[1], parent_span_id=row[2], service=row[3], name=row[4],
        kind=row[5], start_time=row[6], duration_ns=row[7], status_code=row[8],
        status_message=row[9], attributes=row[10] or {}, events=row[11] or [],
        instance=row[12],
    )


def _log(row: Sequence[Any]) -> LogEntry:
    return LogEntry(
        time=row[0], service=row[1], severity_number=row[2], severity_text=row[3],
        body=row[4] or "", trace_id=row[5], span_id=row[6], attributes=row[7] or {},
        instance=row[8],
    )


class LocalStore:
    """The store at ``conninfo`` (libpq string or URL; ``SIGNALPOST_LOOKUP_DSN`` in the CLI).

    Args:
        conninfo: Where the receiver keeps spans and logs.
        max_traces: At most this many traces per lookup (a job ID re-used across restarts
            can match several).
    """

    def __init__(self, conninfo: str, *, max_traces: int = 10) -> None:
        self.conninfo = conninfo
        self.max_traces = max_traces

    def _connect(self) -> Any:
        import psycopg

        return psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5)

    def find(self, query: str) -> Finding:
        """Everything the store holds about ``query``: a trace ID, else a request ID, else a
        job ID (the first kind that matches)."""
        key = query.strip()
        with self._connect() as conn:
            if _TRACE_ID.match(key.lower()):
                trace_id = key.lower()
                if conn.execute(
                    f"SELECT 1 FROM {schema.SPANS} WHERE trace_id = %s UNION ALL "
                    f"SELECT 1 FROM {schema.LOGS} WHERE trace_id = %s LIMIT 1",
                    (trace_id, trace_id),
                ).fetchone():
                    return Finding(key, "trace", self._traces(conn, [trace_id]))
            for matched, attribute in (("request", "request.id"), ("job", "job.id")):
                trace_ids = [
                    row[0]
                    for row in conn.execute(
                        f"SELECT trace_id, min(t) FROM ("
                        f" SELECT trace_id, start_time AS t FROM {schema.SPANS}"
                        f"  WHERE attributes ? %(a)s AND attributes->>%(a)s = %(k)s"
                        f" UNION ALL SELECT trace_id, time FROM {schema.LOGS}"
                        f"  WHERE attributes ? %(a)s AND attributes->>%(a)s = %(k)s"
                        f"  AND trace_id IS NOT NULL"
                        f") found GROUP BY trace_id ORDER BY 2 DESC LIMIT %(n)s",
                        {"a": attribute, "k": key, "n": self.max_traces},
                    )
                ]
                loose = [
                    _log(row)
                    for row in conn.execute(
                        f"{_LOG_SELECT} WHERE attributes ? %(a)s AND attributes->>%(a)s = %(k)s"
                        " AND trace_id IS NULL ORDER BY time LIMIT 200",
                        {"a": attribute, "k": key},
                    )
                ]
                if trace_ids or loose:
                    return Finding(key, matched, self._traces(conn, trace_ids[::-1]), loose)
        return Finding(key, "none", [])

    def _traces(self, conn: Any, trace_ids: list[str]) -> list[Trace]:
        spans = [
            _span(r)
            for r in conn.execute(
                f"{_SPAN_SELECT} WHERE trace_id = ANY(%s) ORDER BY start_time", (trace_ids,)
            )
        ]
        logs = [
            _log(r)
            for r in conn.execute(
                f"{_LOG_SELECT} WHERE trace_id = ANY(%s) ORDER BY time", (trace_ids,)
            )
        ]
        return [
            Trace(t, [s for s in spans if s.trace_id == t], [x for x in logs if x.trace_id == t])
            for t in trace_ids
        ]

    def runs(
        self,
        *,
        job_type: str | None = None,
        status: str | None = None,
        since: timedelta | None = None,
        job_id: str | None = None,
        limit: int = 50,
        now: datetime | None = None,
    ) -> list[Run]:
        """Finished runs, newest first, from the log line that ended each."""
        where = [f"attributes->>'job.event' IN ({', '.join(['%s'] * 4)})"]
        params: list[Any] = list(schema.FINAL_JOB_EVENTS)
        if job_type:
            where.append("attributes->>'job.type' = %s")
            params.append(job_type)
        if status:
            where.append("COALESCE(attributes->>'job.status', attributes->>'job.event') = %s")
            params.append(status)
        if job_id:
            where.append("attributes ? 'job.id' AND attributes->>'job.id' = %s")
            params.append(job_id)
        if since is not None:
            if now is None:
                where.append("time >= now() - %s")
                params.append(since)
            else:
                where.append("time >= %s")
                params.append(now - since)
        params.append(limit)
        with self._connect() as conn:
            rows = conn.execute(
                f"{_LOG_SELECT} WHERE {' AND '.join(where)} ORDER BY time DESC LIMIT %s", params
            ).fetchall()
        return [Run.from_log(_log(row)) for row in rows]

    def errors(
        self, *, source: str | None = None, since: timedelta | None = None, limit: int = 50
    ) -> list[LogEntry]:
        """Error records (log records with an ``error.fingerprint``), newest first;
        ``source``: ``http``, ``job`` ... (``error.source``)."""
        where = ["attributes ? 'error.fingerprint'"]
        params: list[Any] = []
        if source:
            where.append("attributes->>'error.source' = %s")
            params.append(source)
        if since is not None:
            where.append("time >= now() - %s")
            params.append(since)
        params.append(limit)
        with self._connect() as conn:
            rows = conn.execute(
                f"{_LOG_SELECT} WHERE {' AND '.join(where)} ORDER BY time DESC LIMIT %s", params
            ).fetchall()
        return [_log(row) for row in rows]

    def run(self, job_id: str) -> Run | None:
        """The latest finished run with this job ID, if the store has it."""
        found = self.runs(job_id=job_id, limit=1)
        return found[0] if found else None
