"""Exceptions on spans, scrubbed: the replacement for ``span.record_exception``.

``Span.record_exception`` exports the raw message and the whole stack trace; whatever secret
the exception carried would leave the process with the span. :func:`record_exception` adds the
same ``exception`` event (semantic-convention keys) with the message scrubbed and the stack
truncated, then scrubbed; :func:`set_error_status` does the same for the status description.
Both do nothing on a span that is not recording.
"""

from __future__ import annotations

from opentelemetry.semconv.attributes.exception_attributes import (
    EXCEPTION_MESSAGE,
    EXCEPTION_STACKTRACE,
    EXCEPTION_TYPE,
)
from opentelemetry.trace import Span, Status, StatusCode

from signalpost.errors.capture import (
    ErrorRecord,
    exception_message,
    exception_type_name,
    scrubbed_stacktrace,
)
from signalpost.errors.scrub import Scrubber

__all__ = ["record_exception", "set_error_status"]

_EXCEPTION_EVENT = "exception"
"""The event name the semantic conventions give exceptions on spans."""


def record_exception(
    span: Span,
    exc: BaseException,
    scrubber: Scrubber,
    *,
    record: ErrorRecord | None = None,
) -> None:
    """Add a scrubbed ``exception`` event for ``exc`` to ``span``.

    Args:
        span: The span; nothing happens when it is not recording.
        exc: The exception.
        scrubber: Removes secrets from the message and the stack trace.
        record: The error record already built for ``exc``; its scrubbed message and stack
            are reused instead of being formatted and scrubbed again.
    """
    if not span.is_recording():
        return
    if record is not None:
        message, stack = record.message, record.stacktrace
    else:
        message = scrubber.scrub_string(exception_message(exc))
        stack = scrubbed_stacktrace(exc, scrubber)
    span.add_event(
        _EXCEPTION_EVENT,
        {
            EXCEPTION_TYPE: exception_type_name(exc),
            EXCEPTION_MESSAGE: message,
            EXCEPTION_STACKTRACE: stack,
        },
    )


def set_error_status(span: Span, description: str | None, scrubber: Scrubber) -> None:
    """Mark ``span`` failed with a scrubbed status description."""
    if not span.is_recording():
        return
    span.set_status(
        Status(StatusCode.ERROR, scrubber.scrub_string(description) if description else None)
    )
