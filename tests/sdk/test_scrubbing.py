"""The SDK-side scrubber: spans recorded by anyone leave scrubbed."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, Status, StatusCode

from signalpost.errors.scrub import FILTERED, Scrubber
from signalpost.sdk.otel import create_providers
from signalpost.sdk.scrubbing import ScrubbingSpanExporter, SpanScrubber
from tests.errors.test_spanerrors import (
    ALL_TEXT,
    assert_no_secret,
    everything,
    fail_with_secrets,
)


def test_spans_from_any_code_are_scrubbed_on_export() -> None:
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(
        SimpleSpanProcessor(ScrubbingSpanExporter(memory, Scrubber(extra_keys=["ssn"])))
    )
    tracer = provider.get_tracer("user code")
    with tracer.start_as_current_span("linked") as other:
        pass
    with tracer.start_as_current_span(
        f"sync {ALL_TEXT}",
        links=[Link(other.get_span_context(), {"note": ALL_TEXT})],
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        span.set_attribute("note", ALL_TEXT)
        span.set_attribute("notes", [ALL_TEXT, "fine"])
        span.set_attribute("customer.ssn", "078-05-1120")
        span.set_attribute("http.request.header.authorization", ("Bearer abc",))
        span.set_attribute("url.path", "/magic-link/Zx9kQ2mP7vR4tY8wL3nB6cD1")
        span.set_attribute("count", 3)
        span.add_event(f"note {ALL_TEXT}", {"detail": ALL_TEXT})
        try:
            fail_with_secrets()
        except RuntimeError as exc:
            span.record_exception(exc)  # the raw SDK call, as third-party code does it
        span.set_status(Status(StatusCode.ERROR, ALL_TEXT))
    provider.shutdown()
    spans = memory.get_finished_spans()
    assert_no_secret(everything(spans))
    exported = spans[-1]
    assert exported.attributes is not None
    assert exported.attributes["customer.ssn"] == FILTERED
    assert exported.attributes["http.request.header.authorization"] == FILTERED
    assert exported.attributes["url.path"] == "/magic-link/[Filtered]"
    assert exported.attributes["count"] == 3
    assert list(exported.attributes["notes"])[1] == "fine"  # type: ignore[arg-type]
    assert "078-05-1120" not in everything(spans)
    assert exported.status.status_code is StatusCode.ERROR
    (exception,) = [e for e in exported.events if e.name == "exception"]
    assert exception.attributes is not None
    assert "ConnectionError" in str(exception.attributes["exception.stacktrace"])


def test_create_providers_puts_the_wrapper_behind_the_batch_processor() -> None:
    wrapped: list[object] = []

    def wrap(exporter: object) -> ScrubbingSpanExporter:
        wrapped.append(exporter)
        return ScrubbingSpanExporter(exporter, Scrubber())  # type: ignore[arg-type]

    providers = create_providers(
        logs=False, environ={"OTEL_TRACES_EXPORTER": "console"}, wrap_span_exporter=wrap
    )
    try:
        assert len(wrapped) == 1
    finally:
        assert providers.tracer_provider is not None
        providers.tracer_provider.shutdown()


_VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["GET", "/items/42", "token=abc123secret", "api_key=s3cr3t", "a=1&password=x"]),
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.lists(st.text(max_size=20), max_size=3).map(tuple),
)
_KEYS = st.one_of(
    st.sampled_from(["url.path", "url.query", "password", "http.route", "note", "api_key"]),
    st.text(min_size=1, max_size=15),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.dictionaries(_KEYS, _VALUES, max_size=8), min_size=1, max_size=4))
def test_the_fast_path_exports_what_scrubbing_every_value_would(
    batches: list[dict[str, object]],
) -> None:
    # One SpanScrubber for every span: later spans meet values cached by earlier ones.
    spans = SpanScrubber(Scrubber())
    for attributes in batches:
        span = ReadableSpan(name="s", attributes=attributes)  # type: ignore[arg-type]
        exported = spans.span(span)
        expected = spans.attributes(span.attributes) or {}
        assert dict(exported.attributes or {}) == expected or _same_with_nan(
            dict(exported.attributes or {}), expected
        )
        if exported is span:  # returned unchanged only when scrubbing changes nothing
            assert all(
                expected[k] is v or expected[k] == v for k, v in (span.attributes or {}).items()
            )


def _same_with_nan(a: dict[str, object], b: dict[str, object]) -> bool:
    return a.keys() == b.keys() and all(
        x is y or x == y or (isinstance(x, float) and x != x and y != y)
        for x, y in ((a[k], b[k]) for k in a)
    )
