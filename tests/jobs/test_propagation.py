"""Trace context crossing a queue payload from the enqueuing request into the job."""

from __future__ import annotations

import json
import queue

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, format_trace_id
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from signalpost.jobs import extract_context, inject_context
from tests.jobs.conftest import JobFactory


def test_job_span_is_a_child_of_the_request_span(
    make_job: JobFactory, tracer_provider: TracerProvider, span_exporter: InMemorySpanExporter
) -> None:
    work: queue.Queue[str] = queue.Queue()
    tracer = tracer_provider.get_tracer("app")
    with tracer.start_as_current_span("POST /matches", kind=SpanKind.SERVER) as request_span:
        work.put(json.dumps({"batch": 1, "trace": inject_context()}))

    payload = json.loads(work.get())  # in the worker, outside any span
    with make_job("ai_matching", parent=payload["trace"]) as run:
        pass

    spans = {s.name: s for s in span_exporter.get_finished_spans()}
    job_span = spans["job ai_matching"]
    assert job_span.parent is not None
    assert job_span.parent.span_id == request_span.get_span_context().span_id
    assert job_span.context.trace_id == request_span.get_span_context().trace_id
    assert job_span.kind is SpanKind.CONSUMER
    assert run.trace_id == format_trace_id(request_span.get_span_context().trace_id)


def test_decorator_takes_the_parent_from_the_payload(
    make_job: JobFactory, tracer_provider: TracerProvider, span_exporter: InMemorySpanExporter
) -> None:
    @make_job("digest", parent=lambda payload: payload.get("trace"))
    def send(payload: dict[str, dict[str, str]]) -> None:
        pass

    with tracer_provider.get_tracer("app").start_as_current_span("enqueue") as span:
        payload = {"trace": inject_context(propagator=TraceContextTextMapPropagator())}
    send(payload)
    job_span = next(s for s in span_exporter.get_finished_spans() if s.name == "job digest")
    assert job_span.parent is not None
    assert job_span.parent.span_id == span.get_span_context().span_id


def test_without_parent_the_job_starts_its_own_trace(
    make_job: JobFactory, span_exporter: InMemorySpanExporter
) -> None:
    with make_job("nightly"):
        pass
    job_span = next(s for s in span_exporter.get_finished_spans() if s.name == "job nightly")
    assert job_span.parent is None
    assert job_span.kind is SpanKind.INTERNAL


def test_bad_carriers_never_raise() -> None:
    assert inject_context() == {}  # no active span: nothing to carry
    for carrier in (None, {}, {"traceparent": "garbage"}, {"traceparent": "00-" + "0" * 50}):
        context = extract_context(carrier)
        assert context is not None
