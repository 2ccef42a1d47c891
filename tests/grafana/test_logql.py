"""Every Loki label and field a LogQL query uses exists in a real log record of the library.

Records are made by the library itself (a monitored job that reports progress, fails once and
is retried; an unhandled error reported inside a request), sent by its OTLP log handler through
the SDK's OTLP/HTTP exporter to the real receiver in tests/otlp_receiver.py, and translated as
Loki 3's OTLP ingestion does: ``service.name`` becomes the ``service_name`` stream label, log
attributes and the record's trace and span IDs become structured metadata, their keys with every
character outside ``[A-Za-z0-9_]`` replaced by ``_``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry

from grafana import queries as q
from signalpost.context import request_id_var
from signalpost.errors.capture import ErrorReporter
from signalpost.jobs import RetryPolicy, RunningJobs, current_run, monitored_job
from signalpost.logcontext import CorrelationFilter
from signalpost.runtime import Runtime
from signalpost.sdk.otlp_logs import OtlpLogHandler
from signalpost.semconv import prometheus_label
from signalpost.semconv.errors import SOURCE_HTTP
from tests.grafana.dashboards import queries
from tests.otlp_receiver import attributes, otlp_http_receiver

SERVICE = "signalpost-example"
LOGQL = queries("loki")
# Fields Loki's OTLP ingestion adds to every record, besides the attributes.
RECORD_FIELDS = {"trace_id", "span_id", "severity_text", "severity_number", "observed_timestamp"}


def loki_fields(record: Any) -> set[str]:
    """The structured-metadata names Loki gives a received OTLP log record."""
    names = {prometheus_label(key) for key in attributes(record.attributes)}
    if record.trace_id:
        names.add("trace_id")
    if record.span_id:
        names.add("span_id")
    return names | {"severity_text", "severity_number"}


@pytest.fixture(scope="module")
def records() -> Iterator[list[tuple[dict[str, Any], Any]]]:
    """(resource attributes, record) for every record the library emitted."""
    tracer_provider = TracerProvider()
    registry = CollectorRegistry()
    with otlp_http_receiver() as (endpoint, received):
        provider = LoggerProvider(resource=Resource.create({"service.name": SERVICE}))
        provider.add_log_record_processor(
            SimpleLogRecordProcessor(OTLPLogExporter(endpoint=f"{endpoint}/v1/logs"))
        )
        handler = OtlpLogHandler(provider)
        handler.addFilter(CorrelationFilter())
        root = logging.getLogger()
        previous = root.level
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        try:
            attempts = []

            @monitored_job(
                "matching",
                retry=RetryPolicy(max_attempts=2, base_delay=0.0, max_delay=0.0),
                runtime=Runtime(registry=registry, tracer_provider=tracer_provider, running=RunningJobs()),
            )
            def matching(total: int) -> int:
                run = current_run()
                run.progress(0, total)
                attempts.append(1)
                if len(attempts) == 1:
                    raise TimeoutError("upstream timed out")
                run.progress(total, total)
                return total

            assert matching(10) == 10

            @monitored_job(
                "digest", runtime=Runtime(registry=registry, tracer_provider=tracer_provider, running=RunningJobs())
            )
            def digest() -> None:
                raise ValueError("no recipients")

            with pytest.raises(ValueError):
                digest()
            reporter = ErrorReporter(registry=registry)
            token = request_id_var.set("req-123")
            try:
                with tracer_provider.get_tracer("test").start_as_current_span("GET /boom"):
                    try:
                        raise RuntimeError("scoring failed password=hunter2")
                    except RuntimeError as exc:
                        reporter.report(exc, source=SOURCE_HTTP)
            finally:
                request_id_var.reset(token)
        finally:
            root.removeHandler(handler)
            root.setLevel(previous)
            provider.shutdown()
            tracer_provider.shutdown()
        yield received.log_records()


def used_fields(expr: str) -> tuple[set[str], set[str]]:
    """(stream labels, structured-metadata fields) a LogQL expression reads."""
    stream = set(re.findall(r"(\w+)\s*=~?\s*\"", expr.split("}")[0]))
    pipeline = expr.split("}", 1)[1] if "}" in expr else ""
    fields = set(re.findall(r"\|\s*(\w+)\s*(?:=|!=|=~|!~)\s*\"", pipeline))
    for group in re.findall(r"\bby\s*\(([^)]*)\)", expr):
        fields |= {name.strip() for name in group.split(",") if name.strip()}
    return stream, fields


def test_the_library_emitted_job_error_and_request_records(records: list[Any]) -> None:
    resources = {resource.get("service.name") for resource, _ in records}
    assert resources == {SERVICE}
    bodies = [record.body.string_value for _, record in records]
    assert any(body.startswith("job") for body in bodies)
    assert any("scoring failed" in body for body in bodies)
    assert not any("hunter2" in body for body in bodies)


def test_there_are_logql_queries() -> None:
    assert len(LOGQL) >= 8
    assert {query.dashboard for query in LOGQL} >= {
        "signalpost-jobs",
        "signalpost-errors",
        "signalpost-lookup",
    }


@pytest.mark.parametrize("query", LOGQL, ids=lambda query: f"{query.where} {query.target['refId']}")
def test_every_field_a_query_uses_is_in_a_real_record(records: list[Any], query: Any) -> None:
    stream, fields = used_fields(query.text)
    # Loki's OTLP ingestion makes service.name the service_name stream label.
    assert stream == {prometheus_label("service.name")}, query.text
    assert q.STREAM.startswith("{" + prometheus_label("service.name"))
    emitted = set().union(*(loki_fields(record) for _, record in records))
    assert fields, query.text
    assert fields <= emitted, f"{query.where}: {sorted(fields - emitted)} in no record"
    # And at least one record has every field the query filters on together.
    filtered = set(re.findall(r"\|\s*(\w+)\s*(?:=|!=|=~|!~)", query.text))
    assert any(filtered <= loki_fields(record) for _, record in records), query.where


def test_the_field_parser_sees_filters_and_groupings() -> None:
    stream, fields = used_fields(
        'sum by (a, b) (count_over_time({service_name="x"} | c != "" | d =~ "e" [1h]))'
    )
    assert stream == {"service_name"}
    assert fields == {"a", "b", "c", "d"}
