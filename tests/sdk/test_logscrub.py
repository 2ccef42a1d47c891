"""The filter in front of the JSON and OTLP handlers: scrub once, drop duplicates and probes."""

from __future__ import annotations

import io
import json
import logging

from prometheus_client import CollectorRegistry

from signalpost.errors.capture import ErrorReporter
from signalpost.errors.scrub import Scrubber
from signalpost.sdk.jsonlog import JsonFormatter
from signalpost.sdk.logscrub import ScrubbingFilter


def handler_with_filter(**options: object) -> tuple[logging.Handler, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ScrubbingFilter(Scrubber(), **options))  # type: ignore[arg-type]
    return handler, stream


def access_record(path: str, status: int = 200) -> logging.LogRecord:
    return logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", path, "1.1", status),
        None,
    )


def test_access_lines_have_query_strings_scrubbed_also_on_200() -> None:
    handler, stream = handler_with_filter()
    handler.handle(access_record("/items?password=hunter2&api_token=t0k3n-v4lue&page=2"))
    handler.handle(access_record("/reset-password/q8Zr2Lx7Wm4Kp9Tn"))
    out = stream.getvalue()
    assert "hunter2" not in out and "t0k3n-v4lue" not in out and "q8Zr2Lx7Wm4Kp9Tn" not in out
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["body"].endswith(
        '"GET /items?password=[Filtered]&api_token=[Filtered]&page=2 HTTP/1.1" 200'
    )
    assert "/reset-password/[Filtered]" in second["body"]


def test_access_lines_of_excluded_paths_are_dropped() -> None:
    handler, stream = handler_with_filter(access_log_excluded_paths=["/metrics", "/health/*"])
    for path in ("/metrics", "/health/ready", "/health/live?x=1", "/items/1"):
        handler.handle(access_record(path))
    (line,) = stream.getvalue().splitlines()
    assert "/items/1" in line


def test_a_server_report_of_an_already_reported_error_is_dropped() -> None:
    handler, stream = handler_with_filter()
    reporter = ErrorReporter(
        registry=CollectorRegistry(), logger=logging.getLogger("signalpost.errors")
    )
    try:
        raise RuntimeError("token=sk-abcdefghijklmnopqrstuvwxyz")
    except RuntimeError as exc:
        error = exc
    logger = logging.getLogger("signalpost.errors")
    logger.addHandler(handler)
    try:
        reporter.report(error, source="http")
    finally:
        logger.removeHandler(handler)
    uvicorn = logging.getLogger("uvicorn.error")
    uvicorn_record = uvicorn.makeRecord(
        "uvicorn.error",
        logging.ERROR,
        __file__,
        1,
        "Exception in ASGI application\n",
        (),
        (type(error), error, error.__traceback__),
    )
    handler.handle(uvicorn_record)
    # Another exception, never reported by Signalpost, is still logged (scrubbed).
    try:
        raise ValueError("password hunter2Zebra")
    except ValueError as other:
        handler.handle(
            uvicorn.makeRecord(
                "uvicorn.error",
                logging.ERROR,
                __file__,
                1,
                "Exception in ASGI application\n",
                (),
                (ValueError, other, other.__traceback__),
            )
        )
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["attributes"]["logger.name"] for line in lines] == [
        "signalpost.errors",
        "uvicorn.error",
    ]
    assert "sk-abcdefghijklmnopqrstuvwxyz" not in stream.getvalue()
    assert "hunter2Zebra" not in stream.getvalue()
