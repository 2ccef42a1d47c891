"""Fixtures shared by the whole suite: a fresh registry and in-memory OpenTelemetry pipes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import settings
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry
from prometheus_client import metrics as prometheus_metrics

from signalpost import runtime

# A busy 2-core machine takes more than hypothesis' default 200 ms per example now and then:
# property tests assert on results, never on how long an example took.
settings.register_profile("busy-machine", deadline=None)
settings.load_profile("busy-machine")


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


@pytest.fixture(autouse=True)
def _process_wide_state_is_restored() -> Iterator[None]:
    """Undo what a test's set-up left installed, so that no test sees another's defaults or
    prometheus-client's created-series switch (``Telemetry.shutdown`` does it too)."""
    created = prometheus_metrics._use_created
    yield
    runtime.reset()
    prometheus_metrics._use_created = created
