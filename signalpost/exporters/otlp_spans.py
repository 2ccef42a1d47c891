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
from opentelemetry.proto.trace.v1.trace_pb2 import Span as PbSpan
from opentelemetry.proto.trace.v1.trace_pb2 import Status
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


class SpanEncoder:
    """Encodes finished spans into an ``ExportTraceServiceRequest``.

    One per exporter. Its caches only ever hold finished messages that are copied, never
    changed, so concurrent exports (a flush while the batch thread exports) are safe.
    """

    def __init__(self) -> None:
        self._pairs: dict[tuple[str, type, Any], KeyValue] = {}
        self._resources: dict[Any, Any] = {}  # Resource and scope: encoded once each
        self._scopes: dict[Any, Any] = {}

    def _key_value(self, key: str, value: Any) -> KeyValue:
        # The type is part of the key: True == 1 but encodes differently.
        pair = (key, type(value), value)
        encoded = self._pairs.get(pair)
        if encoded is None:
            encoded = KeyValue(key=key, value=_encode_value(value))
            if type(value) in _SIMPLE and not (type(value) is str and len(value) > _CACHEABLE):
                if len(self._pairs) >= _CACHE_SIZE:
                    self._pairs.clear()
                self._pairs[pair] = encoded
        return encoded

    def _add(self, out: Any, span: ReadableSpan) -> None:
        """Encode one span into the repeated field ``out`` as the SDK encodes it (built in
        place: building a message and appending it would copy it)."""
        context = span.get_span_context()
        if (
            context is None
            or span.start_time is None
            or span.end_time is None
            or span.events
            or span.links
            or context.trace_state
            or span.dropped_attributes
            or span.dropped_events
            or span.dropped_links
            or span.kind not in _KINDS
            or span.status is None
        ):
            out.append(_sdk_span(span))
            return
        attributes = span.attributes
        try:
            key_values = (
                [self._key_value(k, v) for k, v in attributes.items()] if attributes else None
            )
        except Exception:  # a value the SDK cannot encode: it logs and skips that attribute
            out.append(_sdk_span(span))
            return
        parent = span.parent
        status = span.status
        out.add(
            trace_id=context.trace_id.to_bytes(16, "big"),
            span_id=context.span_id.to_bytes(8, "big"),
            parent_span_id=parent.span_id.to_bytes(8, "big") if parent else b"",
            name=span.name,
            kind=_KINDS[span.kind],
            start_time_unix_nano=span.start_time,
            end_time_unix_nano=span.end_time,
            attributes=key_values,
            status=Status(code=status.status_code.value, message=status.description),  # type: ignore[arg-type]
            flags=_HAS_IS_REMOTE | (_IS_REMOTE if parent and parent.is_remote else 0),
        )

    def encode(self, spans: Sequence[ReadableSpan]) -> ExportTraceServiceRequest:
        """The export request of ``spans``, grouped by resource and scope as the SDK does."""
        groups: dict[Any, dict[Any, list[ReadableSpan]]] = {}
        for span in spans:
            by_scope = groups.setdefault(span.resource, {})
            by_scope.setdefault(span.instrumentation_scope or None, []).append(span)
        request = ExportTraceServiceRequest()
        for resource, by_scope in groups.items():
            resource_spans = request.resource_spans.add(schema_url=resource.schema_url)
            resource_spans.resource.SetInParent()
            resource_spans.resource.MergeFrom(
                _remembered(self._resources, resource, _encode_resource)
            )
            for scope, members in by_scope.items():
                scope_spans = resource_spans.scope_spans.add(
                    schema_url=(scope.schema_url or "") if scope else ""
                )
                scope_spans.scope.SetInParent()
                scope_spans.scope.MergeFrom(
                    _remembered(self._scopes, scope, _encode_instrumentation_scope)
                )
                out = scope_spans.spans
                for span in members:
                    self._add(out, span)
        return request


def _sdk_span(span: ReadableSpan) -> PbSpan:
    encoded: PbSpan = encode_spans([span]).resource_spans[0].scope_spans[0].spans[0]
    return encoded


def _remembered(cache: dict[Any, Any], key: Any, encode: Any) -> Any:
    encoded = cache.get(key)
    if encoded is None:
        if len(cache) >= 64:  # a few resources and scopes per process; bounded all the same
            cache.clear()
        encoded = cache[key] = encode(key)
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
                data = self._encoder.encode(spans).SerializePartialToString()
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
