"""Undoing one Celery app's instrumentation removes only what it installed: another app
instrumented in the same process keeps its trace propagation."""

from __future__ import annotations

from celery import Celery, signals
from opentelemetry.sdk.trace import TracerProvider

import signalpost.celery


def published_headers(tracer_provider: TracerProvider) -> dict[str, str]:
    headers: dict[str, str] = {}
    with tracer_provider.get_tracer("test").start_as_current_span("enqueue"):
        signals.before_task_publish.send(sender="report", headers=headers, body=())
    return headers


def test_uninstrumenting_one_app_keeps_the_others_propagation(
    tracer_provider: TracerProvider,
) -> None:
    # Another test of this process may have instrumented an app and kept it: the end state
    # is the one before this test.
    before = "traceparent" in published_headers(tracer_provider)
    first = signalpost.celery.instrument(Celery("first", broker="memory://"))
    second = signalpost.celery.instrument(Celery("second", broker="memory://"))
    assert "traceparent" in published_headers(tracer_provider)

    first.uninstrument()
    first.uninstrument()  # idempotent: it does not release the second app's hold
    assert "traceparent" in published_headers(tracer_provider)

    second.uninstrument()
    assert ("traceparent" in published_headers(tracer_provider)) is before
