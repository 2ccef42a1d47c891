"""structlog and loguru get trace, span, request and job IDs (and scrubbing) from Signalpost."""

from __future__ import annotations

import io
import json
import sys

import structlog
from loguru import logger as loguru_logger
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import format_span_id, format_trace_id

from signalpost.context import job_id_var, request_id_var
from signalpost.errors.scrub import Scrubber
from signalpost.logadapters import loguru_patcher, structlog_processor


def test_structlog_processor_adds_ids_and_scrubs(tracer_provider: TracerProvider) -> None:
    out = io.StringIO()
    log = structlog.wrap_logger(
        structlog.PrintLogger(out),
        processors=[structlog_processor(Scrubber()), structlog.processors.JSONRenderer()],
    )
    request = request_id_var.set("req-5")
    job = job_id_var.set("job-8")
    try:
        with tracer_provider.get_tracer("t").start_as_current_span("work") as span:
            log.info("charging password hunter2Zebra", api_key="k-1", rows=3)
    finally:
        request_id_var.reset(request)
        job_id_var.reset(job)
    log.info("outside")
    inside, outside = (json.loads(line) for line in out.getvalue().splitlines())
    context = span.get_span_context()
    assert inside["trace_id"] == format_trace_id(context.trace_id)
    assert inside["span_id"] == format_span_id(context.span_id)
    assert inside["request_id"] == "req-5" and inside["job_id"] == "job-8"
    assert inside["event"] == "charging password [Filtered]"
    assert inside["api_key"] == "[Filtered]" and inside["rows"] == 3
    assert set(outside) == {"event"}  # unset IDs are omitted


def test_loguru_patcher_adds_ids_and_scrubs(tracer_provider: TracerProvider) -> None:
    out = io.StringIO()
    patched = loguru_logger.patch(loguru_patcher(Scrubber()))
    sink = patched.add(out, serialize=True)
    try:
        token = request_id_var.set("req-6")
        try:
            with tracer_provider.get_tracer("t").start_as_current_span("work") as span:
                patched.bind(api_token="abc").info("sending with password: CorrectHorse9")
        finally:
            request_id_var.reset(token)
    finally:
        patched.remove(sink)
    (line,) = out.getvalue().splitlines()
    record = json.loads(line)["record"]
    extra = record["extra"]
    assert extra["trace_id"] == format_trace_id(span.get_span_context().trace_id)
    assert extra["request_id"] == "req-6" and "job_id" not in extra
    assert extra["api_token"] == "[Filtered]"
    assert record["message"] == "sending with password: [Filtered]"
    assert "CorrectHorse9" not in line
    assert "loguru" in sys.modules


def test_adapters_do_not_import_the_libraries() -> None:
    import subprocess

    code = (
        "import sys, signalpost.logadapters as m; "
        "m.structlog_processor(); m.loguru_patcher(); "
        "assert 'structlog' not in sys.modules and 'loguru' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
