"""Fixtures shared by the whole suite: a fresh registry and in-memory OpenTelemetry pipes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry


@pytest.fixture
def registry() -> CollectorRegistry:
    """A prometheus-client registry of the test's own."""
    return CollectorRegistry()


@pytest.fixture
def span_exporter() -> InMemorySpanExporter:
    """Collects finished spans of :func:`tracer_provider`."""
    return InMemorySpanExporter()


@pytest.fixture
def tracer_provider(span_exporter: InMemorySpanExporter) -> Iterator[TracerProvider]:
    """A tracer provider of the test's own that exports synchronously to ``span_exporter``."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(span_exporter))
    yield provider
    provider.shutdown()
