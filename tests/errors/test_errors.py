from __future__ import annotations

import logging
import traceback

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import format_span_id, format_trace_id
from prometheus_client import CollectorRegistry

from signalpost import runtime
from signalpost.context import request_id_var
from signalpost.errors.capture import (
    ERROR_LOGGER_NAME,
    ErrorReporter,
    build_error_record,
    exception_type_name,
    fingerprint,
)
from signalpost.errors.classify import ErrorClass, ErrorClassifier
from tests.fake_clock import FakeClock


class PaymentDeclined(Exception):
    pass


def fail(candidate_id: int) -> None:
    raise PaymentDeclined(f"candidate {candidate_id} card 0x{candidate_id:04x} declined")


def caught(candidate_id: int) -> PaymentDeclined:
    try:
        fail(candidate_id)
    except PaymentDeclined as exc:
        return exc
    raise AssertionError("unreachable")


def test_fingerprint_ignores_message_and_changes_with_the_code_path() -> None:
    assert fingerprint(caught(1)) == fingerprint(caught(99999))
    try:
        raise PaymentDeclined("same type, other place")
    except PaymentDeclined as other:
        assert fingerprint(other) != fingerprint(caught(1))
    assert len(fingerprint(caught(1))) == 16


def test_fingerprint_without_traceback_normalises_numbers() -> None:
    assert fingerprint(ValueError("row 17 bad")) == fingerprint(ValueError("row 2048 bad"))
    assert fingerprint(ValueError("row 17 bad")) != fingerprint(KeyError("row 17 bad"))


def test_exception_type_names() -> None:
    assert exception_type_name(ValueError()) == "ValueError"
    assert exception_type_name(PaymentDeclined()) == f"{__name__}.PaymentDeclined"


def test_record_carries_ids_and_scrubbed_context(tracer_provider: TracerProvider) -> None:
    tracer = tracer_provider.get_tracer("t")
    token = request_id_var.set("req-7")
    try:
        with tracer.start_as_current_span("job") as span:
            record = build_error_record(
                caught(5),
                source="job",
                context={"params": {"candidate": 5, "api_key": "k-123"}},
            )
    finally:
        request_id_var.reset(token)
    assert record.trace_id == format_trace_id(span.get_span_context().trace_id)
    assert record.span_id == format_span_id(span.get_span_context().span_id)
    assert record.request_id == "req-7"
    assert record.context == {"params": {"candidate": 5, "api_key": "[Filtered]"}}
    assert record.error_class is ErrorClass.SYSTEM
    assert "fail" in record.stacktrace
    flat = record.log_attributes()
    assert flat["params.candidate"] == 5 and flat["params.api_key"] == "[Filtered]"
    assert record.to_dict()["error_class"] == "system"


def test_reporter_counts_by_class_and_bounds_exception_types(
    caplog: pytest.LogCaptureFixture,
) -> None:
    registry = CollectorRegistry()
    classifier = ErrorClassifier()
    classifier.register(PaymentDeclined, ErrorClass.DATA)
    reporter = ErrorReporter(registry=registry, classifier=classifier, max_exception_types=2)
    with caplog.at_level(logging.ERROR, logger=ERROR_LOGGER_NAME):
        reporter.report(caught(1), source="http")
        reporter.report(ValueError("a"), source="http")
        reporter.report(KeyError("b"), source="job")
    value = registry.get_sample_value
    assert value(
        "signalpost_errors_total",
        {"error_source": "http", "error_class": "data", "exception_type": f"{__name__}.PaymentDeclined"},
    ) == 1
    assert value(
        "signalpost_errors_total",
        {"error_source": "job", "error_class": "data", "exception_type": "_other"},
    ) == 1
    assert len(caplog.records) == 3
    assert caplog.records[0].exc_info is not None


def test_reporter_never_raises() -> None:
    class Exploding(Exception):
        def __str__(self) -> str:
            raise RuntimeError("str() is broken")

    reporter = ErrorReporter(registry=CollectorRegistry())
    record = reporter.report(Exploding(), source="http")
    assert record is not None and record.message == "<unprintable Exploding>"

    class BrokenLogger(logging.Logger):
        def error(self, *args: object, **kwargs: object) -> None:
            raise RuntimeError("handler bug")

    broken = ErrorReporter(registry=CollectorRegistry(), logger=BrokenLogger("x"))
    assert broken.report(ValueError("v"), source="http") is None


def deep(depth: int, secret: str) -> None:
    if depth == 0:
        rows = "".join(f"row {n} ok, using {secret}\n" for n in range(3000))
        raise RuntimeError(f"upstream rejected token={secret}:\n{rows}")
    deep(depth - 1, secret)


def test_stacks_longer_than_any_cap_are_truncated_then_scrubbed() -> None:
    secret = "ghp_R8x2LmQ7vTz9KpW3nY6cB1dF4hJ0sA5eG7uI"
    try:
        try:
            deep(5, secret)  # a traceback far beyond 64 KiB, the secret all through it
        except RuntimeError as cause:
            raise ValueError(f"while syncing with password {secret}") from cause
    except ValueError as exc:
        error = exc
    raw = "".join(traceback.format_exception(error))
    assert len(raw) > 65536 and raw.count(secret) >= 2
    record = build_error_record(error, source="http")
    assert secret not in record.stacktrace and secret not in record.message
    assert len(record.stacktrace) <= 16384 + 64
    assert record.stacktrace.rstrip().endswith("[Filtered]")


def test_record_timestamps_come_from_the_injected_or_the_runtime_clock() -> None:
    clock = FakeClock(wall=1_800_000_000.0)
    record = ErrorReporter(registry=CollectorRegistry(), clock=clock).report(
        ValueError("x"), source="http"
    )
    assert record is not None and record.timestamp == 1_800_000_000.0
    shared = runtime.Runtime(registry=CollectorRegistry(), clock=FakeClock(wall=1_900_000_000.0))
    record = shared.reporter.report(ValueError("y"), source="job")
    assert record is not None and record.timestamp == 1_900_000_000.0
