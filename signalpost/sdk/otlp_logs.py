"""A logging handler that hands standard-library records to an OpenTelemetry logger."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry._logs import LoggerProvider, get_logger_provider

from signalpost.errors.scrub import Scrubber
from signalpost.sdk.logfields import record_fields

__all__ = ["OtlpLogHandler"]

_PRIMITIVES = (str, bool, int, float)


def _attribute(value: Any) -> Any:
    if isinstance(value, _PRIMITIVES):
        return value
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        items = list(value)
        # OTLP arrays hold one primitive type (bool before int: bool is an int).
        for kind in (str, bool, int, float):
            if all(type(v) is kind for v in items):
                return items
    if isinstance(value, Mapping):
        return {str(k): _attribute(v) for k, v in value.items() if v is not None}
    return repr(value)


class OtlpLogHandler(logging.Handler):
    """Emits each record through an OpenTelemetry logger provider (OTLP when configured).

    Body, severity and attributes are those of the JSON lines, scrubbed and bounded (see
    :mod:`signalpost.sdk.logfields` and docs/logging.md). Trace context comes from the
    current context, so a record logged inside a span is linked to it. Records of the
    ``opentelemetry`` loggers are not forwarded.

    Args:
        logger_provider: Where records go (default: the global provider).
        level: The handler's level.
        scrubber: Used when no :class:`~signalpost.sdk.logscrub.ScrubbingFilter` ran
            before (default: the default scrubber).
    """

    def __init__(
        self,
        logger_provider: LoggerProvider | None = None,
        level: int = logging.NOTSET,
        scrubber: Scrubber | None = None,
    ) -> None:
        super().__init__(level)
        self._scrubber = scrubber
        provider = logger_provider or get_logger_provider()
        self._logger = provider.get_logger("signalpost.logging")

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("opentelemetry"):
            # The SDK's own records (e.g. "failed to export") would loop back into the export
            # that failed; they still reach the other handlers.
            return
        try:
            fields = record_fields(record, self._scrubber)
            self._logger.emit(
                timestamp=int(record.created * 1e9),
                severity_number=fields.severity_number,
                severity_text=fields.severity_text,
                body=fields.body,
                attributes={k: _attribute(v) for k, v in fields.attributes.items()},
            )
        except Exception:
            self.handleError(record)
