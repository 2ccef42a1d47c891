"""A leaner OTLP span encoding: the same bytes as the SDK's, with repeated attributes encoded once.

On a server under load the export thread shares the request path's core and GIL, and the SDK's
generic encoder builds two protobuf messages per attribute of every span although most of them
(method, scheme, route, addresses, status code) repeat from one span to the next.
:class:`SpanEncoder` keeps the encoded ``KeyValue`` of each recent (key, value) pair and copies
it (in C) into the span; anything unusual (events, links, trace state, dropped counts, other
value types) goes through the SDK's own encoder. A test checks that the serialised bytes equal
the SDK's for the spans of every instrumentation.

:class:`LeanOTLPSpanExporter` is the SDK's OTLP/HTTP span exporter with that encoder: same
constructor, environment variables, retries, size limit and self-metrics, because it reuses
them; if an SDK release renames what it reuses, it falls back to the SDK's ``export``.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Sequence
from typing import Any

from opentelemetry.exporter.otlp.proto.common._internal import (
    _encode_instrumentation_scope,
    _encode_resource,
    _encode_value,
)
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExportResult
from opentelemetry.trace import SpanKind

__all__ = ["LeanOTLPSpanExporter", "SpanEncoder"]

_log = logging.getLogger(__name__)
_KINDS = {kind: kind.value + 1 for kind in SpanKind}  # OTLP numbers kinds from 1
_HAS_IS_REMOTE, _IS_REMOTE = 0x100, 0x200  # SpanFlags: the parent's is_remote is known / true
_CACHE_SIZE = 4096
_CACHEABLE = 256  # longer strings (IDs in text, messages) are encoded every time
_SIMPLE = (str, bool, int)
_FIXED64 = struct.Struct("<Q").pack
_FIXED32 = struct.Struct("<I").pack
# Protobuf tags (field number << 3 | wire type) of the fields written by hand, in field order,
# which is the order protobuf serialises them in (the test compares the bytes with the SDK's).
_TRACE_ID, _SPAN_ID, _PARENT_SPAN_ID = b"\x0a\x10", b"\x12\x08", b"\x22\x08"
_NAME, _KIND, _START, _END, _ATTRIBUTE = b"\x2a", b"\x30", b"\x39", b"\x41", b"\x4a"
_STATUS, _STATUS_MESSAGE, _STATUS_CODE, _FLAGS = b"\x7a", b"\x12", b"\x18", b"\x85\x01"
_FIRST, _SECOND, _THIRD = b"\x0a", b"\x12", b"\x1a"  # fields 1 to 3 of the envelopes


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _field(tag: bytes, payload: bytes) -> bytes:
    """A length-delimited field: tag, length, payload."""
    return tag + _varint(len(payload)) + payload


class SpanEncoder:
    """Serialises finished spans into the bytes of an ``ExportTraceServiceRequest``.

    The usual span (ids, name, kind, times, attributes, status) is written by hand from cached
    pieces; any other goes through the SDK's encoder. One per exporter. Its caches only ever
    hold finished bytes, so concurrent exports (a flush while the batch thread exports) are safe.
    """

    def __init__(self) -> None:
        self._pairs: dict[tuple[str, type, Any], bytes] = {}
        self._resources: dict[Any, bytes] = {}  # Resource and scope: encoded once each
        self._scopes: dict[Any, bytes] = {}

    def _key_value(self, key: str, value: Any) -> bytes:
        # The type is part of the key: True == 1 but encodes differently.
        pair = (key, type(value), value)
        encoded = self._pairs.get(pair)
        if encoded is None:
            if type(value) is str:  # by hand: KeyValue{key, AnyValue{string_value}}
                body = _field(_FIRST, key.encode()) if key else b""
                body += _field(_SECOND, _field(_FIRST, value.encode()))
            else:
                body = KeyValue(key=key, value=_encode_value(value)).SerializePartialToString()
            encoded = _field(_ATTRIBUTE, body)
            if type(value) in _SIMPLE and not (type(value) is str and len(value) > _CACHEABLE):
                if len(self._pairs) >= _CACHE_SIZE:
                    self._pairs.clear()
                self._pairs[pair] = encoded
        return encoded

    def span(self, span: ReadableSpan) -> bytes:
        """One span's ``Span`` message, serialised as the SDK would."""
        context = span.get_span_context()
        if (
            context is None
            or span.events
            or span.links
            or context.trace_state
            or span.dropped_attributes
            or span.dropped_events
            or span.dropped_links
            or span.kind not in _KINDS
            or span.status is None
        ):
            return _sdk_span(span)
        try:
            parent = span.parent
            parts = [
                _TRACE_ID,
                context.trace_id.to_bytes(16, "big"),
                _SPAN_ID,
                context.span_id.to_bytes(8, "big"),
            ]
            if parent:
                parts += (_PARENT_SPAN_ID, parent.span_id.to_bytes(8, "big"))
            if span.name:
                parts.append(_field(_NAME, span.name.encode()))
            parts += (_KIND, _varint(_KINDS[span.kind]))
            if span.start_time:
                parts += (_START, _FIXED64(span.start_time))
            if span.end_time:
                parts += (_END, _FIXED64(span.end_time))
            if span.attributes:
                key_value = self._key_value
                parts += [key_value(k, v) for k, v in span.attributes.items()]
            status = span.status
            code, description = status.status_code.value, status.description
            body = _field(_STATUS_MESSAGE, description.encode()) if description else b""
            parts.append(_field(_STATUS, body + (_STATUS_CODE + _varint(code) if code else b"")))
            parts += (
                _FLAGS,
                _FIXED32(_HAS_IS_REMOTE | (_IS_REMOTE if parent and parent.is_remote else 0)),
            )
        except Exception:  # a value the SDK cannot encode: it logs and skips that attribute
            return _sdk_span(span)
        return b"".join(parts)

    def serialize(self, spans: Sequence[ReadableSpan]) -> bytes:
        """The serialised export request of ``spans``, grouped by resource and scope as the
        SDK groups them."""
        groups: dict[Any, dict[Any, list[ReadableSpan]]] = {}
        first = spans[0].resource if spans else None
        # One provider's spans share one Resource object, and hashing a Resource serialises
        # its attributes to JSON (the SDK's encoder does it for every span): hash it once.
        same = all(span.resource is first for span in spans)
        only: dict[Any, list[ReadableSpan]] = {}
        if same:
            groups[first] = only
        for span in spans:
            by_scope = only if same else groups.setdefault(span.resource, {})
            by_scope.setdefault(span.instrumentation_scope or None, []).append(span)
        out = []
        for resource, by_scope in groups.items():
            scopes = []
            for scope, members in by_scope.items():
                encoded = b"".join([_field(_SECOND, self.span(span)) for span in members])
                schema = (
                    _field(_THIRD, scope.schema_url.encode()) if scope and scope.schema_url else b""
                )
                scope_bytes = _remembered(self._scopes, scope, _encode_instrumentation_scope)
                scopes.append(_field(_SECOND, _field(_FIRST, scope_bytes) + encoded + schema))
            schema = _field(_THIRD, resource.schema_url.encode()) if resource.schema_url else b""
            resource_bytes = _remembered(self._resources, resource, _encode_resource)
            body = _field(_FIRST, resource_bytes) + b"".join(scopes) + schema
            out.append(_field(_FIRST, body))
        return b"".join(out)

    def encode(self, spans: Sequence[ReadableSpan]) -> ExportTraceServiceRequest:
        """:meth:`serialize`, parsed back into the request message (for tests and tools)."""
        request: ExportTraceServiceRequest = ExportTraceServiceRequest.FromString(
            self.serialize(spans)
        )
        return request


def _sdk_span(span: ReadableSpan) -> bytes:
    message = encode_spans([span]).resource_spans[0].scope_spans[0].spans[0]
    encoded: bytes = message.SerializePartialToString()
    return encoded


def _remembered(cache: dict[Any, bytes], key: Any, encode: Any) -> bytes:
    encoded = cache.get(key)
    if encoded is None:
        if len(cache) >= 64:  # a few resources and scopes per process; bounded all the same
            cache.clear()
        encoded = cache[key] = encode(key).SerializePartialToString()
    return encoded


class LeanOTLPSpanExporter(OTLPSpanExporter):
    """The SDK's OTLP/HTTP span exporter, encoding with :class:`SpanEncoder`.

    Takes the SDK exporter's arguments and ``OTEL_EXPORTER_OTLP_*`` variables.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._encoder = SpanEncoder()
        self.lean = all(
            hasattr(self, name)
            for name in ("_client", "_metrics", "_max_request_size", "_shutdown")
        )
        if not self.lean:
            _log.warning("this OpenTelemetry SDK is not the one expected: spans use its encoder")

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if not self.lean or self._shutdown or not spans:
            return super().export(spans)
        with self._metrics.export_operation(len(spans)) as result:
            try:
                data = self._encoder.serialize(spans)
            except Exception as error:
                _log.error("Failed to encode span batch: %s", error)
                result.error = error
                return SpanExportResult.FAILURE
            if 0 < self._max_request_size < len(data):
                return super().export(spans)  # the SDK's own drop, warning and error record
            exported = self._client.export(data)
            if not exported.success:
                result.error = exported.error
                if exported.status_code is not None:
                    result.error_attrs = {"http.response.status_code": exported.status_code}
                return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS
