"""The leaner span encoding produces the SDK encoder's bytes, for spans of any shape."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags

from signalpost.errors.scrub import Scrubber
from signalpost.sdk.otlp_spans import SpanEncoder
from signalpost.sdk.scrubbing import SpanScrubber

_VALUES = st.one_of(
    st.sampled_from(
        ["GET", "/items/{item_id}", "127.0.0.1", "", "x" * 300, "password=hunter2", "sk_live_x"]
    ),
    st.text(max_size=30),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.booleans(),
    st.floats(allow_nan=False),
    st.lists(st.text(max_size=5), max_size=3).map(tuple),
    st.lists(st.integers(0, 9), max_size=3).map(tuple),
)
_ATTRIBUTES = st.dictionaries(
    st.sampled_from(
        ["http.request.method", "url.path", "server.port", "note", "n", "flag", "api_key"]
    ),
    _VALUES,
    max_size=6,
)
_SPAN = st.fixed_dictionaries(
    {
        "scope": st.sampled_from(["a", "b"]),
        "resource": st.sampled_from([0, 1]),
        "kind": st.sampled_from(list(SpanKind)),
        "attributes": _ATTRIBUTES,
        "name": st.sampled_from(["span", "", "GET /é/{id}"]),
        "status": st.sampled_from(
            [None, (StatusCode.OK, None), (StatusCode.ERROR, "boom"), (StatusCode.ERROR, None)]
        ),
        "event": st.one_of(st.none(), _ATTRIBUTES),
        "link": st.booleans(),
        "remote_parent": st.sampled_from([None, False, True]),
        "trace_state": st.booleans(),
        "children": st.integers(0, 2),
    }
)


def _spans(shapes: list[dict[str, Any]]) -> list[ReadableSpan]:
    memory = InMemorySpanExporter()
    providers = []
    for index in range(2):
        schema = "https://opentelemetry.io/schemas/1.21.0" if index else None
        resource = Resource.create({"service.name": f"svc-{index}"}, schema_url=schema)
        provider = TracerProvider(resource=resource)
        provider.add_span_processor(SimpleSpanProcessor(memory))
        providers.append(provider)
    for shape in shapes:
        schema = "https://example.com/schema" if shape["scope"] == "b" else None
        tracer = providers[shape["resource"]].get_tracer(shape["scope"], "1.0", schema)
        context = None
        if shape["remote_parent"] is not None:
            state = trace.TraceState([("k", "v")]) if shape["trace_state"] else None
            parent = SpanContext(
                0xABC, 0xDEF, shape["remote_parent"], TraceFlags(TraceFlags.SAMPLED), state
            )
            context = trace.set_span_in_context(trace.NonRecordingSpan(parent))
        links = [Link(SpanContext(0x1, 0x2, True), {"l": 1})] if shape["link"] else None
        with tracer.start_as_current_span(
            shape["name"],
            context=context,
            kind=shape["kind"],
            attributes=shape["attributes"],
            links=links,
        ) as span:
            if shape["status"] is not None:
                span.set_status(Status(*shape["status"]))
            if shape["event"] is not None:
                span.add_event("event", shape["event"])
            for _ in range(shape["children"]):
                with tracer.start_as_current_span("child", attributes={"n": 1}):
                    pass
    return list(memory.get_finished_spans())


@settings(max_examples=150, deadline=None)
@given(st.lists(_SPAN, min_size=1, max_size=6))
def test_bytes_equal_the_sdk_encoders(shapes: list[dict[str, Any]]) -> None:
    spans = _spans(shapes)
    expected = encode_spans(spans).SerializeToString()
    encoder = SpanEncoder()
    assert encoder.serialize(spans) == expected
    # Again with every repeated attribute, resource and scope answered from the caches.
    assert encoder.serialize(spans) == expected


def test_equal_values_of_different_types_are_not_confused() -> None:
    # True == 1 == 1.0 and they hash alike, but OTLP encodes a bool, an int and a double.
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    for value in (True, 1, 1.0, 1, True):
        with provider.get_tracer("t").start_as_current_span("s", attributes={"v": value}):
            pass
    spans = list(memory.get_finished_spans())
    assert SpanEncoder().serialize(spans) == encode_spans(spans).SerializeToString()


@settings(max_examples=150, deadline=None)
@given(st.lists(_SPAN, min_size=1, max_size=6))
def test_scrubbing_encoder_gives_the_bytes_of_scrub_then_encode(
    shapes: list[dict[str, Any]],
) -> None:
    spans = _spans(shapes)
    expected = encode_spans([SpanScrubber(Scrubber()).span(s) for s in spans]).SerializeToString()
    encoder = SpanEncoder(SpanScrubber(Scrubber()))
    assert encoder.serialize(spans) == expected
    assert encoder.serialize(spans) == expected  # from the caches


def test_a_secret_is_scrubbed_in_the_encoding_pass() -> None:
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    attributes: dict[str, Any] = {"api_key": 1, "note": "password=hunter2", "url.path": "/x/1"}
    with provider.get_tracer("t").start_as_current_span("s", attributes=attributes) as span:
        span.set_status(Status(StatusCode.ERROR, "token=hunter2"))
    spans = list(memory.get_finished_spans())
    encoded = SpanEncoder(SpanScrubber(Scrubber())).serialize(spans)
    assert b"hunter2" not in encoded
    assert encoded.count(b"[Filtered]") == 3  # api_key, note, the status description
    assert b"hunter2" in SpanEncoder().serialize(spans)


def test_the_encoder_hands_the_gil_over_during_a_batch() -> None:
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    for index in range(100):
        with provider.get_tracer("t").start_as_current_span("s", attributes={"i": index}):
            pass
    pauses: list[None] = []
    SpanEncoder(pause=lambda _: pauses.append(None)).serialize(memory.get_finished_spans())
    assert len(pauses) == 100 // 32
