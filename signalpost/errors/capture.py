"""Structured error capture: one record per unhandled error, shared by HTTP and jobs.

:func:`build_error_record` turns an exception into an :class:`ErrorRecord` (type, message,
stack, error class, fingerprint, trace and request IDs, scrubbed context).
:class:`ErrorReporter` sends it on: a log record on the ``signalpost.errors`` logger (which the
exporters turn into an OTLP log record and a JSON line) and the ``signalpost_errors_total``
counter. Span status and the exception event are set by the caller, which owns the span.
"""

from __future__ import annotations

import contextlib
import logging
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import format_span_id, format_trace_id
from prometheus_client import CollectorRegistry

from signalpost import metrics
from signalpost.cardinality import BoundedValues
from signalpost.clock import Clock, system_clock
from signalpost.context import current_job_id, current_request_id
from signalpost.errors.classify import ErrorClass, ErrorClassifier, default_classifier
from signalpost.errors.naming import (
    exception_message,
    exception_type_name,
    fingerprint,
)
from signalpost.errors.scrub import Scrubber, default_scrubber
from signalpost.failsafe import note_failure
from signalpost.loggers import ERROR_LOGGER_NAME
from signalpost.semconv import attributes as attr
from signalpost.semconv import errors as error_metrics
from signalpost.semconv.jobs import JOB_ID

__all__ = [
    "ERROR_LOGGER_NAME",
    "ErrorRecord",
    "ErrorReporter",
    "build_error_record",
    "exception_message",
    "exception_type_name",
    "fingerprint",
    "scrub_stacktrace",
    "scrubbed_stacktrace",
    "was_reported",
]

MAX_STACKTRACE = 16384
"""Characters of a formatted stack trace kept (the end: the last frames and the exception)."""


def scrub_stacktrace(stack: str, scrubber: Scrubber) -> str:
    """Return the last :data:`MAX_STACKTRACE` characters of ``stack``, scrubbed: truncated
    first, so that the cost is bounded and nothing of any size escapes the scrubber.

    The one way every stack trace leaves the process (error records, span events, log
    records, routed queue logs): one function, one size limit.
    """
    return scrubber.scrub_text(stack, MAX_STACKTRACE, keep_tail=True)


def scrubbed_stacktrace(exc: BaseException, scrubber: Scrubber) -> str:
    """Format ``exc`` with its traceback and chain, then :func:`scrub_stacktrace` it."""
    try:
        stack = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    except Exception:  # an exception whose __str__ or __repr__ raises
        stack = f"<unformattable {type(exc).__name__}>"
    return scrub_stacktrace(stack, scrubber)


_REPORTED = "__signalpost_reported__"


def was_reported(exc: BaseException) -> bool:
    """Return whether an :class:`ErrorReporter` already reported ``exc``.

    Log routing uses it to drop a server's second, raw report of the same exception (uvicorn's
    "Exception in ASGI application").
    """
    return getattr(exc, _REPORTED, False) is True


@dataclass(slots=True)
class ErrorRecord:
    """An unhandled error, as logs, traces and dashboards see it.

    ``context`` is already scrubbed: it holds request data (method, route, path, query,
    headers) for HTTP errors and job data (type, ID, attempt, parameters) for jobs.
    """

    exception_type: str
    message: str
    stacktrace: str
    error_class: ErrorClass
    fingerprint: str
    source: str
    timestamp: float
    trace_id: str | None = None
    span_id: str | None = None
    request_id: str | None = None
    job_id: str | None = None
    context: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the record as plain JSON-serialisable data."""
        return {
            "exception_type": self.exception_type,
            "message": self.message,
            "stacktrace": self.stacktrace,
            "error_class": str(self.error_class),
            "fingerprint": self.fingerprint,
            "source": self.source,
            "timestamp": self.timestamp,
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "request_id": self.request_id,
            "job_id": self.job_id,
            "context": self.context,
        }

    def log_attributes(self) -> dict[str, Any]:
        """Return flat attributes for a log record (OpenTelemetry keys where they exist).

        The stack trace is not included: the log record carries the exception itself.
        """
        out: dict[str, Any] = {
            attr.EXCEPTION_TYPE: self.exception_type,
            attr.EXCEPTION_MESSAGE: self.message,
            attr.ERROR_CLASS: str(self.error_class),
            attr.ERROR_FINGERPRINT: self.fingerprint,
            attr.ERROR_SOURCE: self.source,
        }
        if self.request_id is not None:
            out[attr.REQUEST_ID] = self.request_id
        if self.job_id is not None:
            out[JOB_ID] = self.job_id
        _flatten("", self.context, out)
        return out


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), item, out)
    elif isinstance(value, list | tuple):
        if all(isinstance(v, str | bool | int | float) for v in value) and (
            len({type(v) for v in value}) <= 1
        ):
            out[prefix] = list(value)
        else:
            out[prefix] = repr(value)
    elif value is None or isinstance(value, str | bool | int | float):
        if value is not None:
            out[prefix] = value
    else:
        out[prefix] = repr(value)


def build_error_record(
    exc: BaseException,
    *,
    source: str,
    context: Mapping[str, Any] | None = None,
    classifier: ErrorClassifier = default_classifier,
    scrubber: Scrubber = default_scrubber,
    timestamp: float | None = None,
) -> ErrorRecord:
    """Describe ``exc`` as an :class:`ErrorRecord`.

    Trace and span IDs come from the current span, request and job IDs from
    :mod:`signalpost.context`. The message, the stack trace and ``context`` are
    scrubbed. ``timestamp`` (seconds since the epoch) defaults to now.
    """
    span_context = trace.get_current_span().get_span_context()
    trace_id = span_id = None
    if span_context.is_valid:
        trace_id = format_trace_id(span_context.trace_id)
        span_id = format_span_id(span_context.span_id)
    return ErrorRecord(
        exception_type=exception_type_name(exc),
        message=scrubber.scrub_string(exception_message(exc)),
        stacktrace=scrubbed_stacktrace(exc, scrubber),
        error_class=classifier.classify(exc),
        fingerprint=fingerprint(exc),
        source=source,
        timestamp=time.time() if timestamp is None else timestamp,
        trace_id=trace_id,
        span_id=span_id,
        request_id=current_request_id(),
        job_id=current_job_id(),
        context=scrubber.scrub(dict(context)) if context else {},
    )


class ErrorReporter:
    """Builds and emits error records: a structured log record and the error counter.

    Args:
        registry: prometheus-client registry for ``signalpost_errors_total``.
        classifier: Decides the error class; defaults to the shared classifier.
        scrubber: Removes secrets from messages, stacks and context.
        logger: Where records are logged (level ERROR, with ``exc_info``); defaults to the
            ``signalpost.errors`` logger.
        max_exception_types: Distinct ``exception_type`` label values before the rest are
            counted as ``_other``.
        clock: Where record timestamps are read (default: the system clock; the reporter
            of :class:`signalpost.runtime.Runtime` reads the runtime's).
    """

    def __init__(
        self,
        *,
        registry: CollectorRegistry | None = None,
        classifier: ErrorClassifier = default_classifier,
        scrubber: Scrubber = default_scrubber,
        logger: logging.Logger | None = None,
        max_exception_types: int = 200,
        clock: Clock | None = None,
    ) -> None:
        self._clock = clock if clock is not None else system_clock
        self.classifier = classifier
        self.scrubber = scrubber
        self.logger = logger or logging.getLogger(ERROR_LOGGER_NAME)
        self._counter = metrics.counter(error_metrics.ERRORS, registry)
        self._exception_types = BoundedValues(max_exception_types)

    def report(
        self,
        exc: BaseException,
        *,
        source: str,
        context: Mapping[str, Any] | None = None,
        message: str | None = None,
    ) -> ErrorRecord | None:
        """Record ``exc``; returns the record, or ``None`` if building it failed.

        Never raises: a failure here is logged on ``signalpost.internal`` and swallowed, so
        that error capture cannot replace the user's exception with its own.
        """
        try:
            record = build_error_record(
                exc,
                source=source,
                context=context,
                classifier=self.classifier,
                scrubber=self.scrubber,
                timestamp=self._clock.time(),
            )
            self._counter.labels(
                source, str(record.error_class), self._exception_types(record.exception_type)
            ).inc()
            # An exception class with __slots__ or a read-only __setattr__ cannot be marked.
            with contextlib.suppress(AttributeError, TypeError):
                setattr(exc, _REPORTED, True)
            self.logger.error(
                "%s",
                message or f"{record.exception_type}: {record.message}",
                exc_info=(type(exc), exc, exc.__traceback__),
                extra={"signalpost_error": record, **record.log_attributes()},
            )
            return record
        except Exception as failure:
            note_failure("error capture", failure)
            return None
