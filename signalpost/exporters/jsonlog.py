"""JSON lines for the standard library's logging, one object per record."""

from __future__ import annotations

import json
import logging
import traceback
from datetime import UTC, datetime
from typing import Any

__all__ = ["JsonFormatter"]

# LogRecord attributes that are logging's own bookkeeping, not data to output.
_RESERVED = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()
    | {"message", "asctime", "signalpost_error", "taskName"}
)


class JsonFormatter(logging.Formatter):
    """Formats records as single-line JSON objects.

    Fields: ``timestamp`` (RFC 3339, UTC), ``level``, ``logger``, ``message``, then
    ``trace_id``, ``span_id``, ``request_id`` and ``job_id`` (from
    :class:`signalpost.instrumentation.logcontext.CorrelationFilter`), ``exception`` (type, message,
    stacktrace) when the record carries one, and every attribute passed through ``extra=``.
    Values JSON cannot represent are written as their ``repr``. Never raises.
    """

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                data[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            exc_type, exc, tb = record.exc_info
            data["exception"] = {
                "type": exc_type.__qualname__,
                "message": str(exc),
                "stacktrace": "".join(traceback.format_exception(exc_type, exc, tb)),
            }
        error = record.__dict__.get("signalpost_error")
        if error is not None and hasattr(error, "stacktrace"):
            # The scrubbed stack of the error record replaces the raw one.
            data.setdefault("exception", {})["stacktrace"] = error.stacktrace
            data["exception"]["message"] = error.message
        if record.stack_info:
            data["stack_info"] = record.stack_info
        return json.dumps(data, default=repr, ensure_ascii=False, separators=(",", ":"))
