"""JSON lines for the standard library's logging, one object per record."""

from __future__ import annotations

import json
import logging
import math
from datetime import UTC, datetime
from typing import Any

from signalpost.errors.scrub import Scrubber
from signalpost.sdk.logfields import record_fields
from signalpost.semconv.attributes import SERVICE_NAME

__all__ = ["JsonFormatter"]


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: they are written as the strings "NaN", "Infinity"."""
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


class JsonFormatter(logging.Formatter):
    """Formats records as single-line JSON objects following the OpenTelemetry log data model.

    Fields, in order: ``timestamp`` (RFC 3339, UTC, milliseconds), ``severity_text``,
    ``severity_number``, ``body``, ``trace_id`` and ``span_id`` (omitted outside a span),
    ``service.name`` (when given), then ``attributes``: ``logger.name``, ``request.id`` and
    ``job.id`` (omitted when unset), ``code.*``, ``exception.*`` when the record carries an
    exception, and everything passed through ``extra=``. ``extra=`` can never replace a
    top-level field. Every value is scrubbed and bounded (see
    :mod:`signalpost.sdk.logfields`); NaN and infinities become strings. Never raises.
    See docs/logging.md.

    Args:
        service_name: Written as ``service.name`` on every line.
        scrubber: Used when no :class:`~signalpost.sdk.logscrub.ScrubbingFilter` ran
            before (default: the default scrubber).
    """

    def __init__(self, service_name: str | None = None, scrubber: Scrubber | None = None) -> None:
        super().__init__()
        self.service_name = service_name
        self._scrubber = scrubber

    def format(self, record: logging.LogRecord) -> str:
        try:
            fields = record_fields(record, self._scrubber)
            data: dict[str, Any] = {
                "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                    timespec="milliseconds"
                ),
                "severity_text": fields.severity_text,
                "severity_number": int(fields.severity_number.value),
                "body": fields.body,
            }
            if fields.trace_id is not None:
                data["trace_id"] = fields.trace_id
                data["span_id"] = fields.span_id
            if self.service_name:
                data[SERVICE_NAME] = self.service_name
            data["attributes"] = _finite(fields.attributes)
            return json.dumps(
                data, default=repr, ensure_ascii=False, separators=(",", ":"), allow_nan=False
            )
        except Exception as exc:  # the line must still come out
            return json.dumps(
                {
                    "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
                    "severity_text": logging.getLevelName(record.levelno),
                    "body": f"<unformattable log record from {record.name}>",
                    "attributes": {"signalpost.log_error": type(exc).__name__},
                },
                separators=(",", ":"),
            )
