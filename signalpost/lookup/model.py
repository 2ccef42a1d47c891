"""What a lookup finds, in one wire form (``to_json``/``from_json``) for every reader and view.

A :class:`Span` and a :class:`LogEntry` are read the same way from the local store, Tempo and
Loki; a :class:`Trace` groups them; a :class:`Run` is one finished job run, read from the log
line that ended it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["Finding", "LogEntry", "Run", "Span", "Trace"]

STATUS_NAMES = {0: "unset", 1: "ok", 2: "error"}


@dataclass(frozen=True)
class Span:
    """One span: identity, timing, status, attributes and events (each a dict with ``name``,
    ``time`` and ``attributes``)."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    service: str
    name: str
    start_time: datetime
    duration_ns: int
    status_code: int = 0
    status_message: str | None = None
    kind: int = 0
    attributes: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    instance: str | None = None
    """``service.instance.id``: which process of the service (API, worker ...)."""

    @property
    def failed(self) -> bool:
        return self.status_code == 2

    def to_json(self) -> dict[str, Any]:
        return {
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "parent_span_id": self.parent_span_id,
            "service": self.service,
            "instance": self.instance,
            "name": self.name,
            "kind": self.kind,
            "start_time": self.start_time.isoformat(),
            "duration_ms": self.duration_ns / 1e6,
            "status": STATUS_NAMES.get(self.status_code, str(self.status_code)),
            "status_message": self.status_message,
            "attributes": self.attributes,
            "events": self.events,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Span:
        codes = {name: code for code, name in STATUS_NAMES.items()}
        return cls(
            trace_id=data["trace_id"],
            span_id=data["span_id"],
            parent_span_id=data.get("parent_span_id"),
            service=data["service"],
            instance=data.get("instance"),
            name=data["name"],
            kind=int(data.get("kind", 0)),
            start_time=datetime.fromisoformat(data["start_time"]),
            duration_ns=round(float(data["duration_ms"]) * 1e6),
            status_code=codes.get(data.get("status", "unset"), 0),
            status_message=data.get("status_message"),
            attributes=dict(data.get("attributes") or {}),
            events=list(data.get("events") or []),
        )


@dataclass(frozen=True)
class LogEntry:
    """One log record (the error record is the one with ``exception.type``)."""

    time: datetime
    service: str
    severity_number: int
    severity_text: str | None
    body: str
    trace_id: str | None = None
    span_id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    instance: str | None = None

    @property
    def is_error_record(self) -> bool:
        # Retry lines carry the exception type and class too; only error records are
        # fingerprinted.
        return "error.fingerprint" in self.attributes and "exception.type" in self.attributes

    def to_json(self) -> dict[str, Any]:
        return {
            "time": self.time.isoformat(),
            "service": self.service,
            "instance": self.instance,
            "severity_number": self.severity_number,
            "severity": self.severity_text,
            "body": self.body,
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "attributes": self.attributes,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LogEntry:
        return cls(
            time=datetime.fromisoformat(data["time"]),
            service=data["service"],
            instance=data.get("instance"),
            severity_number=int(data.get("severity_number", 0)),
            severity_text=data.get("severity"),
            body=data.get("body") or "",
            trace_id=data.get("trace_id"),
            span_id=data.get("span_id"),
            attributes=dict(data.get("attributes") or {}),
        )


@dataclass(frozen=True)
class Trace:
    """The spans and log records of one trace, both in time order."""

    trace_id: str
    spans: list[Span]
    logs: list[LogEntry]

    def to_json(self) -> dict[str, Any]:
        return {
            "trace_id": self.trace_id,
            "spans": [s.to_json() for s in self.spans],
            "logs": [entry.to_json() for entry in self.logs],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Trace:
        return cls(
            trace_id=data["trace_id"],
            spans=[Span.from_json(s) for s in data.get("spans", [])],
            logs=[LogEntry.from_json(x) for x in data.get("logs", [])],
        )


@dataclass(frozen=True)
class Finding:
    """The answer to ``lookup ID``: what the ID was taken for, and the traces it is in (and
    log records of it outside any trace)."""

    query: str
    matched: str
    """``trace``, ``request``, ``job`` or ``none``."""
    traces: list[Trace]
    loose_logs: list[LogEntry] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "matched": self.matched,
            "traces": [t.to_json() for t in self.traces],
            "loose_logs": [entry.to_json() for entry in self.loose_logs],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        return cls(
            query=data["query"],
            matched=data["matched"],
            traces=[Trace.from_json(t) for t in data.get("traces", [])],
            loose_logs=[LogEntry.from_json(x) for x in data.get("loose_logs", [])],
        )


@dataclass(frozen=True)
class Run:
    """One finished job run, from the log line that ended it."""

    job_type: str
    job_id: str
    status: str
    finished_at: datetime
    duration_s: float | None
    attempts: int | None
    error_class: str | None
    exception_type: str | None
    trace_id: str | None
    service: str

    def to_json(self) -> dict[str, Any]:
        return {
            "job_type": self.job_type,
            "job_id": self.job_id,
            "status": self.status,
            "finished_at": self.finished_at.isoformat(),
            "duration_s": self.duration_s,
            "attempts": self.attempts,
            "error_class": self.error_class,
            "exception_type": self.exception_type,
            "trace_id": self.trace_id,
            "service": self.service,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Run:
        return cls(
            job_type=data["job_type"],
            job_id=data["job_id"],
            status=data["status"],
            finished_at=datetime.fromisoformat(data["finished_at"]),
            duration_s=data.get("duration_s"),
            attempts=data.get("attempts"),
            error_class=data.get("error_class"),
            exception_type=data.get("exception_type"),
            trace_id=data.get("trace_id"),
            service=data["service"],
        )

    @classmethod
    def from_log(cls, entry: LogEntry) -> Run:
        """The run a final job log line (``job.event`` in :data:`~.schema.FINAL_JOB_EVENTS`)
        describes."""
        a = entry.attributes
        duration = a.get("job.duration")
        attempt = a.get("job.attempt")
        return cls(
            job_type=str(a.get("job.type", "")),
            job_id=str(a.get("job.id", "")),
            status=str(a.get("job.status") or a.get("job.event", "")),
            finished_at=entry.time,
            duration_s=float(duration) if duration is not None else None,
            attempts=int(attempt) if attempt is not None else None,
            error_class=a.get("error.class"),
            exception_type=a.get("exception.type"),
            trace_id=entry.trace_id,
            service=entry.service,
        )
