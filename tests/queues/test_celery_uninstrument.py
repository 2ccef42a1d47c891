"""Undoing one Celery app's instrumentation removes only what it installed: another app
instrumented in the same process keeps its trace propagation."""

from __future__ import annotations

from celery import Celery, signals
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry

import signalpost.celery
from signalpost.integrations import ProgressSettings
from signalpost.jobs.running import RunningJobs
from signalpost.runtime import Runtime


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


def test_instrument_takes_one_runtime() -> None:
    app = Celery("own-runtime", broker="memory://")
    app.conf.task_always_eager = True

    def add(x: int, y: int) -> int:
        return x + y

    own_add = app.task(name="tests.own_add", shared=False)(add)

    app.finalize()  # eager calls do not finalize the app: wrap its tasks now
    own = Runtime(registry=CollectorRegistry(), running=RunningJobs())
    installation = signalpost.celery.instrument(
        app,
        tasks=["tests.own_add"],
        runtime=own,
        progress=ProgressSettings(publish_interval=None),
    )
    try:
        assert installation.monitored == ["tests.own_add"]
        assert own_add.delay(1, 2).get() == 3
    finally:
        installation.uninstrument()
    labels = {"job_type": "tests.own_add", "job_status": "succeeded"}
    assert own.registry.get_sample_value("signalpost_job_runs_finished_total", labels) == 1
