"""OTLP protobuf requests to store rows (the columns of :mod:`signalpost.lookup.schema`)."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from psycopg.types.json import Jsonb

__all__ = ["log_rows", "span_rows", "value_of"]

_UNKNOWN_SERVICE = "unknown_service"


def _text(value: str) -> str:
    # PostgreSQL's text and jsonb cannot hold NUL: one in a span name would refuse the batch.
    return value.replace("\x00", "\ufffd") if "\x00" in value else value


def value_of(any_value: AnyValue) -> Any:
    """The Python value of an OTLP ``AnyValue`` (bytes as hex, NUL replaced, NaN and
    infinities as strings: JSON has no such numbers)."""
    kind = any_value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [value_of(v) for v in any_value.array_value.values]
    if kind == "kvlist_value":
        return _attributes(any_value.kvlist_value.values)
    if kind == "bytes_value":
        return any_value.bytes_value.hex()
    if kind == "string_value":
        return _text(any_value.string_value)
    if kind == "double_value" and not math.isfinite(any_value.double_value):
        return str(any_value.double_value)
    return getattr(any_value, kind)


def _attributes(items: Any) -> dict[str, Any]:
    return {_text(kv.key): value_of(kv.value) for kv in items if isinstance(kv, KeyValue)}


_AHEAD_NS = 86_400 * 10**9


def _time(unix_nano: int) -> datetime:
    # A clock more than a day ahead would put rows beyond retention's reach: now instead.
    now = time.time_ns()
    return datetime.fromtimestamp(min(unix_nano, now + _AHEAD_NS) / 1e9, UTC)


def _service(resource: Any) -> tuple[str, str | None]:
    """``service.name`` and ``service.instance.id`` of a resource."""
    found = {kv.key: kv.value for kv in resource.attributes
             if kv.key in ("service.name", "service.instance.id")}
    name = found.get("service.name")
    instance = found.get("service.instance.id")
    return (
        str(value_of(name)) or _UNKNOWN_SERVICE if name is not None else _UNKNOWN_SERVICE,
        str(value_of(instance)) if instance is not None else None,
    )


def span_rows(request: ExportTraceServiceRequest) -> list[tuple[Any, ...]]:
    """One row per span, in :data:`~signalpost.lookup.schema.SPAN_COLUMNS` order."""
    rows: list[tuple[Any, ...]] = []
    for rs in request.resource_spans:
        service, instance = _service(rs.resource)
        for ss in rs.scope_spans:
            for span in ss.spans:
                events = [
                    {"name": _text(e.name), "time": _time(e.time_unix_nano).isoformat(),
                     "attributes": _attributes(e.attributes)}
                    for e in span.events
                ]
                rows.append((
                    span.trace_id.hex(),
                    span.span_id.hex(),
                    span.parent_span_id.hex() or None,
                    service,
                    instance,
                    _text(span.name),
                    int(span.kind),
                    _time(span.start_time_unix_nano),
                    max(span.end_time_unix_nano - span.start_time_unix_nano, 0),
                    int(span.status.code),
                    _text(span.status.message) or None,
                    Jsonb(_attributes(span.attributes)),
                    Jsonb(events) if events else None,
                ))
    return rows


def log_rows(request: ExportLogsServiceRequest) -> list[tuple[Any, ...]]:
    """One row per log record, in :data:`~signalpost.lookup.schema.LOG_COLUMNS` order."""
    rows: list[tuple[Any, ...]] = []
    for rl in request.resource_logs:
        service, instance = _service(rl.resource)
        for sl in rl.scope_logs:
            for record in sl.log_records:
                stamp = record.time_unix_nano or record.observed_time_unix_nano
                body = value_of(record.body)
                rows.append((
                    _time(stamp),
                    record.trace_id.hex() or None,
                    record.span_id.hex() or None,
                    service,
                    instance,
                    int(record.severity_number),
                    _text(record.severity_text) or None,
                    body if isinstance(body, str) or body is None else repr(body),
                    Jsonb(_attributes(record.attributes)),
                ))
    return rows
