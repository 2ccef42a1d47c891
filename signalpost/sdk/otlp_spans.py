"""A leaner OTLP span encoding: the same bytes as the SDK's, with repeated attributes encoded once.

On a server under load the export thread shares the request path's core and GIL, and the SDK's
generic encoder builds two protobuf messages per attribute of every span although most of them
(method, scheme, route, addresses, status code) repeat from one span to the next.
:class:`SpanEncoder` keeps the encoded ``KeyValue`` of each recent (key, value) pair and copies
it (in C) into the span; anything unusual (events, links, trace state, dropped counts, other
value types) goes through the SDK's own encoder. A test checks that the serialised bytes equal
the SDK's for the spans of every instrumentation.

:class:`~signalpost.sdk.otlp_exporter.LeanOTLPSpanExporter` is the SDK's OTLP/HTTP span
exporter with that encoder.

Given a :class:`~signalpost.sdk.scrubbing.SpanScrubber`, the encoder scrubs in the same
pass: it caches the *scrubbed* value's encoding per (key, value), one look-up for both steps.
The bytes are always those of the SDK's encoding of ``SpanScrubber.span(span)``.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry.exporter.otlp.proto.common._internal import (
    _encode_instrumentation_scope,
    _encode_resource,
    _encode_value,
)
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from signalpost.sdk.scrubbing import SpanScrubber

__all__ = ["SpanEncoder"]

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
_SMALL = [bytes((n,)) for n in range(128)]  # the one-byte varints: most lengths
# On a busy server the export thread competes with the event loop for the GIL, and without a
# pause it keeps it for a whole switch interval (5 ms) at a time while a batch of 512 spans
# encodes (several ms): the requests in flight wait that long. A pause every 32 spans (about
# 0.3 ms of encoding) hands the GIL over sooner: the same CPU, spread into shorter slices.
_YIELD_EVERY = 32


def _varint(value: int) -> bytes:
    if value < 128:
        return _SMALL[value]
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _field(tag: bytes, payload: bytes) -> bytes:
    """A length-delimited field: tag, length, payload."""
    return tag + _varint(len(payload)) + payload


# Whole fields that only take a few values: kind, a status without description, the flags.
_KIND_FIELDS = {kind: _KIND + _varint(number) for kind, number in _KINDS.items()}
_BARE_STATUS = {
    code: _field(_STATUS, _STATUS_CODE + _varint(code) if code else b"") for code in range(3)
}
_LOCAL_PARENT = _FLAGS + _FIXED32(_HAS_IS_REMOTE)
_REMOTE_PARENT = _FLAGS + _FIXED32(_HAS_IS_REMOTE | _IS_REMOTE)


class SpanEncoder:
    """Serialises finished spans into the bytes of an ``ExportTraceServiceRequest``.

    The usual span (ids, name, kind, times, attributes, status) is written by hand from cached
    pieces; any other goes through the SDK's encoder. One per exporter. Its caches only ever
    hold finished bytes, so concurrent exports (a flush while the batch thread exports) are safe.

    Args:
        scrubber: Scrubs every span in the same pass (``None``: spans are encoded as they are).
        pause: Called with 0 every ``_YIELD_EVERY`` spans of a batch (``time.sleep``: hand
            the GIL over).
    """

    def __init__(
        self, scrubber: SpanScrubber | None = None, pause: Callable[[float], None] = time.sleep
    ) -> None:
        self._pairs: dict[tuple[str, type, Any], bytes] = {}
        self._names: dict[str, bytes] = {}
        self._resources: dict[Any, bytes] = {}  # Resource and scope: encoded once each
        self._scopes: dict[Any, bytes] = {}
        self._scrubber = scrubber
        self._pause = pause

    def _key_value(self, key: str, value: Any) -> bytes:
        # The type is part of the key: True == 1 but encodes differently.
        pair = (key, type(value), value)
        encoded = self._pairs.get(pair)
        if encoded is None:
            original = value
            if self._scrubber is not None:
                value = self._scrubber.value(key, value)
            if type(value) is str:  # by hand: KeyValue{key, AnyValue{string_value}}
                body = _field(_FIRST, key.encode()) if key else b""
                body += _field(_SECOND, _field(_FIRST, value.encode()))
            else:
                body = KeyValue(key=key, value=_encode_value(value)).SerializePartialToString()
            encoded = _field(_ATTRIBUTE, body)
            if type(original) in _SIMPLE and not (
                type(original) is str and len(original) > _CACHEABLE
            ):
                if len(self._pairs) >= _CACHE_SIZE:
                    self._pairs.clear()
                self._pairs[pair] = encoded
        return encoded

    def span(self, span: ReadableSpan) -> bytes:
        """One span's ``Span`` message, serialised as the SDK would."""
        context = span.get_span_context()
        kind, status = span.kind, span.status
        if (
            context is None
            or span.events
            or span.links
            or context.trace_state
            or span.dropped_attributes
            or span.dropped_events
            or span.dropped_links
            or kind not in _KINDS
            or status is None
        ):
            return self._sdk_span(span)
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
            name = span.name
            if name:
                encoded_name = self._names.get(name)
                if encoded_name is None:
                    encoded_name = self._name(name)
                parts.append(encoded_name)
            parts.append(_KIND_FIELDS[kind])
            start, end = span.start_time, span.end_time
            if start:
                parts += (_START, _FIXED64(start))
            if end:
                parts += (_END, _FIXED64(end))
            attributes = span.attributes
            if attributes:
                key_value = self._key_value
                parts += [key_value(k, v) for k, v in attributes.items()]
            code, description = status.status_code.value, status.description
            if description:
                if self._scrubber is not None:
                    description = self._scrubber.text(description)
                body = _field(_STATUS_MESSAGE, description.encode())
                body += _STATUS_CODE + _varint(code) if code else b""
                parts.append(_field(_STATUS, body))
            else:
                parts.append(_BARE_STATUS[code])
            parts.append(_REMOTE_PARENT if parent and parent.is_remote else _LOCAL_PARENT)
        except Exception:  # a value the SDK cannot encode: it logs and skips that attribute
            return self._sdk_span(span)
        return b"".join(parts)

    def _name(self, name: str) -> bytes:
        scrubbed = self._scrubber.text(name) if self._scrubber is not None else name
        encoded = _field(_NAME, scrubbed.encode()) if scrubbed else b""
        if len(name) <= _CACHEABLE:
            if len(self._names) >= _CACHE_SIZE:
                self._names.clear()
            self._names[name] = encoded
        return encoded

    def _sdk_span(self, span: ReadableSpan) -> bytes:
        return _sdk_span(self._scrubber.span(span) if self._scrubber is not None else span)

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
        encoded_spans = 0
        for resource, by_scope in groups.items():
            scopes = []
            for scope, members in by_scope.items():
                pieces = []
                for span in members:
                    pieces.append(_field(_SECOND, self.span(span)))
                    encoded_spans += 1
                    if encoded_spans % _YIELD_EVERY == 0:
                        self._pause(0)
                encoded = b"".join(pieces)
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
