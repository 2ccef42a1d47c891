"""Job span exception events leave scrubbed."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from signalpost.errors.classify import ErrorClass
from signalpost.jobs import RetryPolicy
from tests.errors.test_spanerrors import (
    ALL_TEXT,
    assert_no_secret,
    everything,
    fail_with_secrets,
)
from tests.jobs.conftest import JobFactory


def test_failed_job_span_exception_events_are_scrubbed(
    make_job: JobFactory, span_exporter: InMemorySpanExporter
) -> None:
    policy = RetryPolicy(max_attempts=2, base_delay=0.0, retry_on=frozenset(ErrorClass))
    job = make_job("sync", retry=policy, params={"note": ALL_TEXT})
    with pytest.raises(RuntimeError):

        @job
        def run() -> None:
            fail_with_secrets()

        run()
    spans = span_exporter.get_finished_spans()
    events = [e for s in spans for e in s.events if e.name == "exception"]
    assert events, [s.name for s in spans]
    assert_no_secret(everything(spans))
