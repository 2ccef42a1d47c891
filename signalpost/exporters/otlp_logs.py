"""A logging handler that hands standard-library records to an OpenTelemetry logger."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Sequence
from typing import Any

from opentelemetry._logs import LoggerProvider, SeverityNumber, get_logger_provider

__all__ = ["OtlpLogHandler"]

_RESERVED = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()
    | {"message", "asctime", "signalpost_error", "taskName", "trace_id", "span_id"}
)
_SEVERITY = (
    (logging.CRITICAL, SeverityNumber.FATAL, "FATAL"),
    (logging.ERROR, SeverityNumber.ERROR, "ERROR"),
    (logging.WARNING, SeverityNumber.WARN, "WARN"),
    (logging.INFO, SeverityNumber.INFO, "INFO"),
    (logging.DEBUG, SeverityNumber.DEBUG, "DEBUG"),
)
_PRIMITIVES = (str, bool, int, float)


def _attribute(value: Any) -> Any:
    if isinstance(value, _PRIMITIVES):
        return value
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        items = list(value)
        if all(isinstance(v, str) for v in items):
            return items
    return repr(value)


class OtlpLogHandler(logging.Handler):
    """Emits each record through an OpenTelemetry logger provider (OTLP when configured).

    The body is the formatted message; ``extra=`` attributes become log attributes (primitive
    values as they are, anything else as its ``repr``); a record's exception sets the
    ``exception.*`` attributes, using the scrubbed stack of Signalpost's error records when
    there is one. Trace context comes from the current context, so a record logged inside a
    span is linked to it. Records of the ``opentelemetry`` loggers are not forwarded.
    """

    def __init__(
        self, logger_provider: LoggerProvider | None = None, level: int = logging.NOTSET
    ) -> None:
        super().__init__(level)
        provider = logger_provider or get_logger_provider()
        self._logger = provider.get_logger("signalpost.logging")

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("opentelemetry"):
            # The SDK's own records (e.g. "failed to export") would loop back into the export
            # that failed; they still reach the other handlers.
            return
        try:
            attributes: dict[str, Any] = {
                key: _attribute(value)
                for key, value in record.__dict__.items()
                if key not in _RESERVED and value is not None and not key.startswith("_")
            }
            attributes["logger.name"] = record.name
            attributes["code.function.name"] = record.funcName
            attributes["code.file.path"] = record.pathname
            attributes["code.line.number"] = record.lineno
            if record.exc_info and record.exc_info[0] is not None:
                exc_type, exc, tb = record.exc_info
                attributes.setdefault("exception.type", exc_type.__qualname__)
                attributes.setdefault("exception.message", str(exc))
                error = record.__dict__.get("signalpost_error")
                if error is not None and hasattr(error, "stacktrace"):
                    attributes["exception.stacktrace"] = error.stacktrace
                else:
                    attributes["exception.stacktrace"] = "".join(
                        traceback.format_exception(exc_type, exc, tb)
                    )
            number, text = SeverityNumber.TRACE, "TRACE"
            for level, severity, name in _SEVERITY:
                if record.levelno >= level:
                    number, text = severity, name
                    break
            self._logger.emit(
                timestamp=int(record.created * 1e9),
                severity_number=number,
                severity_text=text,
                body=record.getMessage(),
                attributes=attributes,
            )
        except Exception:
            self.handleError(record)
