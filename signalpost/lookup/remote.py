"""Reads Tempo and Loki over their HTTP APIs, for the same lookups against the compose stack.

Tempo: ``GET /api/traces/<trace ID>`` (OTLP JSON: ``batches`` or ``resourceSpans``, IDs in
hex or base64). Loki 3 with OTLP ingestion: ``GET /loki/api/v1/query_range`` with LogQL on the
``service_name`` stream label and structured metadata (attribute names with ``.`` → ``_``).
Checked against recorded-format responses only, not against running Tempo and Loki.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

from signalpost.lookup import schema
from signalpost.lookup.model import Finding, LogEntry, Run, Span, Trace
from signalpost.semconv import prometheus_label

__all__ = ["RemoteError", "TempoLoki"]

_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
_SEVERITIES = {"TRACE": 1, "DEBUG": 5, "INFO": 9, "WARN": 13, "WARNING": 13, "ERROR": 17,
               "FATAL": 21, "CRITICAL": 21}
# Stream labels and metadata Loki adds that are not log attributes.
_NOT_ATTRIBUTES = frozenset({"service_name", "service_instance_id", "trace_id", "span_id",
                             "severity_text", "severity_number", "detected_level",
                             "observed_timestamp", "flags"})


class RemoteError(RuntimeError):
    """Tempo or Loki could not be read; the message names which and why."""


def _id(value: str, size: int) -> str:
    """A hex ID from Tempo's JSON, which writes IDs in base64 (protobuf JSON) or hex."""
    if not value:
        return ""
    if len(value) == size * 2 and all(c in "0123456789abcdefABCDEF" for c in value):
        return value.lower()
    try:
        return base64.b64decode(value).hex()
    except (binascii.Error, ValueError):
        return value.lower()


def _value(any_value: dict[str, Any]) -> Any:
    for kind, value in any_value.items():
        if kind == "arrayValue":
            return [_value(v) for v in value.get("values", [])]
        if kind == "kvlistValue":
            return _attrs(value.get("values", []))
        if kind == "intValue":
            return int(value)
        if kind == "doubleValue":
            return float(value)
        return value
    return None


def _attrs(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {kv["key"]: _value(kv.get("value", {})) for kv in items}


def _time(nanos: Any) -> datetime:
    return datetime.fromtimestamp(int(nanos) / 1e9, UTC)


def _status_code(status: dict[str, Any]) -> int:
    code = status.get("code", 0)
    if isinstance(code, str):
        return {"STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}.get(code, 0)
    return int(code)


def tempo_spans(document: dict[str, Any]) -> list[Span]:
    """The spans of a Tempo ``/api/traces`` answer (v1 ``batches``, v2 ``trace``)."""
    batches = document.get("batches") or document.get("resourceSpans")
    if batches is None and isinstance(document.get("trace"), dict):
        batches = document["trace"].get("resourceSpans") or document["trace"].get("batches")
    spans: list[Span] = []
    for batch in batches or []:
        resource = _attrs(batch.get("resource", {}).get("attributes", []))
        service = str(resource.get("service.name", "unknown_service"))
        instance = resource.get("service.instance.id")
        for scope in batch.get("scopeSpans") or batch.get("instrumentationLibrarySpans") or []:
            for s in scope.get("spans", []):
                start, end = int(s["startTimeUnixNano"]), int(s.get("endTimeUnixNano", 0))
                kind = s.get("kind", 0)
                spans.append(Span(
                    trace_id=_id(s["traceId"], 16),
                    span_id=_id(s["spanId"], 8),
                    parent_span_id=_id(s.get("parentSpanId", ""), 8) or None,
                    service=service,
                    instance=str(instance) if instance is not None else None,
                    name=s.get("name", ""),
                    kind=kind if isinstance(kind, int) else 0,
                    start_time=_time(start),
                    duration_ns=max(end - start, 0),
                    status_code=_status_code(s.get("status", {})),
                    status_message=s.get("status", {}).get("message") or None,
                    attributes=_attrs(s.get("attributes", [])),
                    events=[
                        {"name": e.get("name", ""), "time": _time(e["timeUnixNano"]).isoformat(),
                         "attributes": _attrs(e.get("attributes", []))}
                        for e in s.get("events", [])
                    ],
                ))
    return sorted(spans, key=lambda sp: sp.start_time)


def loki_entries(document: dict[str, Any]) -> list[LogEntry]:
    """The log records of a Loki ``query_range`` answer (streams), oldest first.

    Attribute names come back sanitised (``job_id``); the known ones get their dots back.
    """
    known = {prometheus_label(k): k for k in _KNOWN_ATTRIBUTES}
    entries: list[LogEntry] = []
    for stream in document.get("data", {}).get("result", []):
        labels: dict[str, str] = dict(stream.get("stream", {}))
        for value in stream.get("values", []):
            stamp, line = value[0], value[1]
            extra = value[2] if len(value) > 2 and isinstance(value[2], dict) else {}
            meta = {**labels, **extra.get("structuredMetadata", {}), **extra.get("parsed", {})}
            severity = meta.get("severity_text") or meta.get("detected_level") or ""
            entries.append(LogEntry(
                time=_time(stamp),
                service=meta.get("service_name", "unknown_service"),
                instance=meta.get("service_instance_id") or None,
                severity_number=_SEVERITIES.get(severity.upper(), 0),
                severity_text=severity.upper() or None,
                body=line,
                trace_id=meta.get("trace_id") or None,
                span_id=meta.get("span_id") or None,
                attributes={known.get(k, k): v for k, v in meta.items()
                            if k not in _NOT_ATTRIBUTES},
            ))
    return sorted(entries, key=lambda entry: entry.time)


_KNOWN_ATTRIBUTES = (
    "job.id", "job.type", "job.event", "job.status", "job.attempt", "job.duration",
    "request.id", "exception.type", "exception.message", "exception.stacktrace", "error.class",
    "error.source", "error.fingerprint", "http.route", "http.request.method",
    "http.response.status_code",
)


class TempoLoki:
    """Lookups through Tempo (traces) and Loki (logs, runs, finding the trace of an ID).

    Args:
        tempo: Tempo's base URL (``http://tempo:3200``), or ``None``.
        loki: Loki's base URL (``http://loki:3100``), or ``None``.
        since: How far back Loki is searched.
        timeout: Seconds per HTTP request.
    """

    def __init__(
        self, tempo: str | None, loki: str | None, *, since: timedelta = timedelta(days=1),
        timeout: float = 10.0,
    ) -> None:
        self.tempo = tempo.rstrip("/") if tempo else None
        self.loki = loki.rstrip("/") if loki else None
        self.since = since
        self.timeout = timeout

    def _get(self, base: str, path: str, params: dict[str, str] | None = None) -> Any:
        url = f"{base}{path}" + (f"?{urllib.parse.urlencode(params)}" if params else "")
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise RemoteError(f"{base}: HTTP {error.code} for {path}") from error
        except (OSError, ValueError) as error:
            raise RemoteError(f"{base}: {error}") from error

    def logs(self, pipeline: str, since: timedelta | None = None, limit: int = 500) -> list[
        LogEntry
    ]:
        """Log records matching ``{service_name=~".+"} <pipeline>`` in the window."""
        if self.loki is None:
            return []
        end = time.time_ns()
        start = end - int((since or self.since).total_seconds() * 1e9)
        document = self._get(self.loki, "/loki/api/v1/query_range", {
            "query": f'{{service_name=~".+"}} {pipeline}'.strip(),
            "start": str(start), "end": str(end), "limit": str(limit), "direction": "backward",
        })
        return loki_entries(document or {})

    def trace(self, trace_id: str) -> Trace | None:
        """One trace: spans from Tempo, log records from Loki."""
        spans: list[Span] = []
        if self.tempo is not None:
            document = self._get(self.tempo, f"/api/traces/{trace_id}")
            spans = tempo_spans(document or {})
        logs = self.logs(f'| trace_id="{trace_id}"')
        if not spans and not logs:
            return None
        return Trace(trace_id, spans, logs)

    def find(self, query: str) -> Finding:
        """As :meth:`signalpost.lookup.localstore.LocalStore.find`."""
        key = query.strip()
        if _TRACE_ID.match(key.lower()):
            found = self.trace(key.lower())
            if found is not None:
                return Finding(key, "trace", [found])
        safe = key.replace("\\", "\\\\").replace('"', '\\"')
        for matched, attribute in (("request", "request.id"), ("job", "job.id")):
            entries = self.logs(f'| {prometheus_label(attribute)}="{safe}"')
            if not entries:
                continue
            trace_ids = list(dict.fromkeys(e.trace_id for e in entries if e.trace_id))
            traces = [t for t in (self.trace(tid) for tid in trace_ids[:10]) if t is not None]
            return Finding(key, matched, traces, [e for e in entries if not e.trace_id])
        return Finding(key, "none", [])

    def runs(
        self, *, job_type: str | None = None, status: str | None = None,
        since: timedelta | None = None, job_id: str | None = None, limit: int = 50,
    ) -> list[Run]:
        """As :meth:`signalpost.lookup.localstore.LocalStore.runs`, from Loki."""
        events = "|".join(schema.FINAL_JOB_EVENTS)
        pipeline = f'| job_event=~"{events}"'
        if job_type:
            pipeline += f' | job_type="{job_type}"'
        if job_id:
            pipeline += f' | job_id="{job_id}"'
        runs = [Run.from_log(e) for e in self.logs(pipeline, since, limit)]
        if status:
            runs = [r for r in runs if r.status == status]
        return sorted(runs, key=lambda r: r.finished_at, reverse=True)[:limit]

    def errors(
        self, *, source: str | None = None, since: timedelta | None = None, limit: int = 50
    ) -> list[LogEntry]:
        """Error records from Loki, newest first."""
        pipeline = '| error_fingerprint!=""'
        if source:
            pipeline += f' | error_source="{source}"'
        found = self.logs(pipeline, since, limit)
        return sorted(found, key=lambda e: e.time, reverse=True)[:limit]
