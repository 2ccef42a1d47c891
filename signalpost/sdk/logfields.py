"""One log schema for the JSON lines and the OTLP log records: what a record becomes.

:func:`record_fields` turns a standard-library :class:`logging.LogRecord` into the fields of
the OpenTelemetry log data model: a body, a severity, trace and span IDs, and attributes named
after the semantic conventions (``exception.type``, ``code.function.name``, ``request.id``,
``job.id``). The body, every attribute and the exception are scrubbed and bounded. The result is
computed once per record and kept on it, so the JSON and OTLP handlers share the work.
See docs/logging.md for the schema.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from opentelemetry._logs import SeverityNumber
from opentelemetry.semconv.attributes.code_attributes import (
    CODE_FILE_PATH,
    CODE_FUNCTION_NAME,
    CODE_LINE_NUMBER,
    CODE_STACKTRACE,
)
from opentelemetry.semconv.attributes.exception_attributes import (
    EXCEPTION_MESSAGE,
    EXCEPTION_STACKTRACE,
    EXCEPTION_TYPE,
)

from signalpost.errors.capture import (
    exception_message,
    exception_type_name,
    scrub_stacktrace,
    scrubbed_stacktrace,
)
from signalpost.errors.scrub import FILTERED, Scrubber, default_scrubber, truncate
from signalpost.semconv import attributes as attr
from signalpost.semconv.jobs import JOB_ID

__all__ = ["RecordFields", "record_fields", "severity"]

_LOGGER_NAME = "logger.name"
"""Attribute naming the Python logger (the OpenTelemetry instrumentation scope of the record)."""
_MAX_ID_LENGTH = 256
"""Longest request or job ID written; longer ones are cut (a 1 MB ID is not copied)."""

_FIELDS = "_signalpost_fields"
# LogRecord attributes that are logging's own bookkeeping, or that the schema maps itself.
_RESERVED = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()
    | {
        "message",
        "asctime",
        "taskName",
        "signalpost_error",
        "color_message",  # uvicorn's copy of the message with ANSI colour codes
        "trace_id",
        "span_id",
        "request_id",
        "job_id",
    }
)
# Correlation attributes set by CorrelationFilter, written under their semantic names.
_IDS = (("request_id", attr.REQUEST_ID), ("job_id", JOB_ID))
_SEVERITY = (
    (logging.CRITICAL, SeverityNumber.FATAL, "FATAL"),
    (logging.ERROR, SeverityNumber.ERROR, "ERROR"),
    (logging.WARNING, SeverityNumber.WARN, "WARN"),
    (logging.INFO, SeverityNumber.INFO, "INFO"),
    (logging.DEBUG, SeverityNumber.DEBUG, "DEBUG"),
)


def severity(levelno: int) -> tuple[SeverityNumber, str]:
    """Map a logging level to the OpenTelemetry severity number and text."""
    for level, number, text in _SEVERITY:
        if levelno >= level:
            return number, text
    return SeverityNumber.TRACE, "TRACE"


@dataclass(slots=True)
class RecordFields:
    """A record in the log data model; every string scrubbed."""

    body: str
    severity_number: SeverityNumber
    severity_text: str
    trace_id: str | None
    span_id: str | None
    attributes: dict[str, Any] = field(default_factory=dict)


def _body(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # bad %-arguments or an argument whose __str__ raises
        try:
            return f"{record.msg!s} {record.args!r}"
        except Exception:
            return f"<unformattable log message from {record.name}>"


def _id(value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= _MAX_ID_LENGTH else text[:_MAX_ID_LENGTH] + "..."


def _exception(record: logging.LogRecord, scrubber: Scrubber, out: dict[str, Any]) -> None:
    error = record.__dict__.get("signalpost_error")
    exc_info = record.exc_info
    if error is not None and hasattr(error, "stacktrace"):
        # Signalpost's error record: type, message and stack already scrubbed.
        out[EXCEPTION_TYPE] = error.exception_type
        out[EXCEPTION_MESSAGE] = error.message
        out[EXCEPTION_STACKTRACE] = error.stacktrace
    elif exc_info and exc_info[1] is not None:
        exc = exc_info[1]
        out[EXCEPTION_TYPE] = exception_type_name(exc)
        out[EXCEPTION_MESSAGE] = scrubber.scrub_string(exception_message(exc))
        out[EXCEPTION_STACKTRACE] = scrubbed_stacktrace(exc, scrubber)
    else:
        return
    # Any standard formatter on another handler prints this instead of the raw traceback.
    record.exc_text = out[EXCEPTION_STACKTRACE]


def record_fields(record: logging.LogRecord, scrubber: Scrubber | None = None) -> RecordFields:
    """Return the scrubbed fields of ``record``, computing them on first use. Never raises.

    Args:
        record: The log record; the result is kept on it for the next handler.
        scrubber: The scrubbing policy (default: the default scrubber); the first caller's wins.
    """
    cached = record.__dict__.get(_FIELDS)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    scrubber = scrubber or default_scrubber
    number, text = severity(record.levelno)
    values = record.__dict__
    try:
        attributes: dict[str, Any] = {_LOGGER_NAME: record.name}
        for name, key in _IDS:
            value = _id(values.get(name))
            if value is not None:
                attributes[key] = value
        for key, value in values.items():
            if key in _RESERVED or key.startswith("_") or value is None:
                continue
            attributes[key] = FILTERED if scrubber.is_secret_key(key) else scrubber.scrub(value)
        for _, key in _IDS:  # an ID passed through extra= is bounded like the others
            if isinstance(attributes.get(key), str):
                attributes[key] = _id(attributes[key])
        attributes[CODE_FUNCTION_NAME] = record.funcName
        attributes[CODE_FILE_PATH] = record.pathname
        attributes[CODE_LINE_NUMBER] = record.lineno
        _exception(record, scrubber, attributes)
        if record.stack_info:
            attributes[CODE_STACKTRACE] = scrub_stacktrace(record.stack_info, scrubber)
        body = scrubber.scrub_string(_body(record))
    except Exception as exc:  # a scrubber or record bug must not lose the line
        attributes = {_LOGGER_NAME: record.name, "signalpost.log_error": type(exc).__name__}
        body = truncate(scrubber.scrub_string(str(record.msg)), scrubber.max_string)
    fields = RecordFields(
        body=body,
        severity_number=number,
        severity_text=text,
        trace_id=_id(values.get("trace_id")),
        span_id=_id(values.get("span_id")),
        attributes=attributes,
    )
    values[_FIELDS] = fields
    return fields
