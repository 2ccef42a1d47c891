from __future__ import annotations

import io
import json
import logging

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import format_span_id, format_trace_id

from signalpost.context import job_id_var, request_id_var
from signalpost.logcontext import CorrelationFilter
from signalpost.sdk.jsonlog import JsonFormatter


def make_logger() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(CorrelationFilter())
    logger = logging.getLogger(f"test.json.{id(stream)}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    return logger, stream


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_every_record_carries_trace_span_request_and_job_ids(
    tracer_provider: TracerProvider,
) -> None:
    logger, stream = make_logger()
    tracer = tracer_provider.get_tracer("t")
    request_token = request_id_var.set("req-9")
    job_token = job_id_var.set("job-3")
    try:
        with tracer.start_as_current_span("work") as span:
            logger.info("scored %d candidates", 120, extra={"job.type": "ai_matching"})
    finally:
        request_id_var.reset(request_token)
        job_id_var.reset(job_token)
    logger.warning("outside")
    inside, outside = lines(stream)
    context = span.get_span_context()
    assert inside["body"] == "scored 120 candidates"
    assert inside["trace_id"] == format_trace_id(context.trace_id)
    assert inside["span_id"] == format_span_id(context.span_id)
    attributes = inside["attributes"]
    assert isinstance(attributes, dict)
    assert attributes["request.id"] == "req-9" and attributes["job.id"] == "job-3"
    assert attributes["job.type"] == "ai_matching"
    assert inside["severity_text"] == "INFO" and inside["severity_number"] == 9
    assert str(inside["timestamp"]).endswith("+00:00")
    # null IDs are omitted, not written as null
    assert "trace_id" not in outside and "span_id" not in outside
    assert "request.id" not in outside["attributes"] and "job.id" not in outside["attributes"]  # type: ignore[operator]


def test_exceptions_and_unserialisable_values() -> None:
    logger, stream = make_logger()
    try:
        raise ValueError("bad row")
    except ValueError:
        logger.exception("import failed", extra={"row": object(), "tags": {"a", "b"}})
    (line,) = lines(stream)
    attributes = line["attributes"]
    assert isinstance(attributes, dict)
    assert attributes["exception.type"] == "ValueError"
    assert attributes["exception.message"] == "bad row"
    assert "Traceback" in attributes["exception.stacktrace"]
    assert str(attributes["row"]).startswith("<object object")
    assert "exception" not in line and "exception" not in attributes


def test_one_line_per_record_even_with_newlines() -> None:
    logger, stream = make_logger()
    logger.info("line one\nline two")
    assert len(stream.getvalue().splitlines()) == 1


def test_otlp_handler_does_not_feed_sdk_records_back_into_export() -> None:
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor

    from signalpost.sdk.otlp_logs import OtlpLogHandler

    exporter = InMemoryLogRecordExporter()
    provider = LoggerProvider()
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    handler = OtlpLogHandler(provider)
    for name in ("opentelemetry.sdk._shared_internal", "app.module"):
        handler.handle(logging.LogRecord(name, logging.ERROR, __file__, 1, "msg %s", (name,), None))
    (exported,) = exporter.get_finished_logs()
    assert exported.log_record.body == "msg app.module"
    assert exported.log_record.attributes is not None
    assert exported.log_record.attributes["logger.name"] == "app.module"


def test_extra_cannot_overwrite_core_fields() -> None:
    logger, stream = make_logger()
    logger.info("real", extra={"level": "debug", "timestamp": 0, "body": "fake", "trace_id": 1})
    (line,) = lines(stream)
    assert line["body"] == "real" and line["severity_text"] == "INFO"
    assert str(line["timestamp"]).startswith("20")
    assert line["attributes"]["timestamp"] == 0  # type: ignore[index]
    assert line["attributes"]["level"] == "debug"  # type: ignore[index]


def test_one_name_per_field_and_no_color_message() -> None:
    logger, stream = make_logger()
    token = request_id_var.set("req-1")
    try:
        try:
            raise KeyError("k")
        except KeyError:
            logger.exception(
                "x", extra={"request.id": "req-1", "color_message": "\x1b[31mx\x1b[0m"}
            )
    finally:
        request_id_var.reset(token)
    raw = stream.getvalue()
    (line,) = lines(stream)
    attributes = line["attributes"]
    assert isinstance(attributes, dict)
    assert attributes["request.id"] == "req-1"
    for duplicate in ("request_id", "job_id", "exception", "color_message", "message", "level"):
        assert duplicate not in attributes and duplicate not in line
    assert "\\u001b" not in raw and "\x1b" not in raw


def test_formatter_never_raises_and_writes_valid_json() -> None:
    class Evil(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no str for you")

    class BadRepr:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    logger, stream = make_logger()
    try:
        raise Evil()
    except Evil:
        logger.exception("job failed: %s", BadRepr(), extra={"ratio": float("nan")})
    logger.info("progress", extra={"done": float("inf"), "nested": {"x": [float("-inf")]}})
    logger.info("bad %d format", "not a number")
    failed, progress, bad = lines(stream)
    assert failed["body"]  # the failed line is not lost
    assert failed["attributes"]["exception.type"].endswith("Evil")  # type: ignore[index]
    assert failed["attributes"]["ratio"] == "NaN"  # type: ignore[index]
    assert progress["attributes"]["done"] == "Infinity"  # type: ignore[index]
    assert progress["attributes"]["nested"] == {"x": ["-Infinity"]}  # type: ignore[index]
    assert "bad" in str(bad["body"])
    assert "NaN" not in stream.getvalue().replace('"NaN"', "")


def test_huge_values_are_not_copied_whole() -> None:
    logger, stream = make_logger()
    huge = "j" * 1_000_000
    token = job_id_var.set(huge)
    try:
        logger.info("step", extra={"blob": "b" * 1_000_000})
    finally:
        job_id_var.reset(token)
    assert len(stream.getvalue()) < 20_000


def test_records_are_scrubbed_before_any_handler_writes_them() -> None:
    from signalpost.errors.scrub import Scrubber
    from tests.secrets_fixture import SECRETS

    logger, stream = make_logger()
    text = " | ".join(s.text for s in SECRETS)
    try:
        raise RuntimeError(text)
    except RuntimeError:
        logger.exception("failed %s", text, extra={"params": {"note": text}, "api_key": "k-1"})
    raw = stream.getvalue()
    assert [s.name for s in SECRETS if s.value in raw] == []
    assert Scrubber().scrub_string("k-1") == "k-1" and '"api_key":"[Filtered]"' in raw
