from __future__ import annotations

import io
import json
import logging

from opentelemetry.sdk.trace import TracerProvider

from signalpost.exporters.jsonlog import JsonFormatter
from signalpost.instrumentation.context import job_id_var, request_id_var
from signalpost.instrumentation.logcontext import CorrelationFilter


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
    assert inside["message"] == "scored 120 candidates"
    assert inside["trace_id"] == format(context.trace_id, "032x")
    assert inside["span_id"] == format(context.span_id, "016x")
    assert inside["request_id"] == "req-9" and inside["job_id"] == "job-3"
    assert inside["job.type"] == "ai_matching"
    assert inside["level"] == "INFO" and str(inside["timestamp"]).endswith("+00:00")
    assert outside["trace_id"] is None and outside["request_id"] is None


def test_exceptions_and_unserialisable_values() -> None:
    logger, stream = make_logger()
    try:
        raise ValueError("bad row")
    except ValueError:
        logger.exception("import failed", extra={"row": object(), "tags": {"a", "b"}})
    (line,) = lines(stream)
    exception = line["exception"]
    assert isinstance(exception, dict)
    assert exception["type"] == "ValueError" and exception["message"] == "bad row"
    assert "Traceback" in exception["stacktrace"]
    assert str(line["row"]).startswith("<object object")


def test_one_line_per_record_even_with_newlines() -> None:
    logger, stream = make_logger()
    logger.info("line one\nline two")
    assert len(stream.getvalue().splitlines()) == 1


def test_otlp_handler_does_not_feed_sdk_records_back_into_export() -> None:
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor

    from signalpost.exporters.otlp_logs import OtlpLogHandler

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
