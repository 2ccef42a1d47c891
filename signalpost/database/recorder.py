"""Recording one statement: the span, the duration histogram and the error classification.

Shared by the sync and async cursors in :mod:`signalpost.database.cursors`. The hot path
when
tracing is off is: summary (cached per text), two clock readings, one bound histogram child.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from signalpost import metrics
from signalpost._extras import missing_extra
from signalpost.cardinality import BoundedValues
from signalpost.database.sql import StatementSummary, sanitize, summarize
from signalpost.errors.capture import exception_message, exception_type_name
from signalpost.errors.classify import ErrorClassifier
from signalpost.errors.scrub import Scrubber
from signalpost.loggers import DB_LOGGER_NAME
from signalpost.runtime import OnFirstUse, Runtime
from signalpost.semconv import attributes as attr
from signalpost.semconv import db as semconv

try:
    from psycopg import sql
except ImportError as _error:  # the 'postgres' extra is not installed
    raise missing_extra("postgres", _error) from _error

__all__ = ["StatementRecorder"]

_log = logging.getLogger(DB_LOGGER_NAME)
_TRACER_NAME = "signalpost.instrumentation.db"


class _Resolved(NamedTuple):
    histogram: Any
    tracer: trace.Tracer
    classifier: ErrorClassifier
    scrubber: Scrubber
    monotonic: Callable[[], float]
_UNKNOWN = StatementSummary(semconv.OTHER_OPERATION, None)


class StatementRecorder:
    """Times statements into ``db_client_operation_duration_seconds`` and opens CLIENT spans.

    Args:
        runtime: Where statements are recorded (registry, tracer provider, classifier of
            failed statements, scrubber of their error messages, clock of their durations).
        capture_query_text: Put the sanitised statement (literals replaced by ``?``, never
            the parameters) on the span as ``db.query.text``.
        max_query_text: Longest ``db.query.text`` recorded, in characters.
        max_collections: Distinct ``db.collection.name`` label values kept; later new
            tables share the label ``_other`` (spans keep the real name).
        overrides: Collaborators overriding the runtime's (what the deprecated keywords of
            :class:`~signalpost.database.DatabaseInstrumentation` gave).

    ``runtime`` (default :func:`signalpost.runtime.current`) is resolved at the first
    statement, so a recorder made before ``setup()`` records in what set-up installed.
    """

    def __init__(
        self,
        *,
        runtime: Runtime | None = None,
        capture_query_text: bool = True,
        max_query_text: int = 2048,
        max_collections: int = 200,
        overrides: Mapping[str, Any] | None = None,
    ) -> None:
        self._runtime = runtime
        self._given = dict(overrides or {})
        self._resolved = OnFirstUse(runtime, self._given, self._build)
        self._capture_query_text = capture_query_text
        self._max_query_text = max_query_text
        self._collections = BoundedValues(max_collections)
        self._error_types = BoundedValues(50)
        self._children: dict[tuple[str, str, str, str], Any] = {}
        self.cursor_classes: dict[type[Any], type[Any]] = {}
        """Instrumented cursor classes made for this recorder, by base class."""

    def _services(self) -> _Resolved:
        """Resolve the runtime once, at the first statement."""
        return self._resolved.get()

    @staticmethod
    def _build(shared: Runtime) -> _Resolved:
        return _Resolved(
            metrics.histogram(semconv.OPERATION_DURATION, shared.registry),
            trace.get_tracer(_TRACER_NAME, tracer_provider=shared.tracer_provider),
            shared.classifier,
            shared.scrubber,
            shared.clock.monotonic,
        )

    def monotonic(self) -> float:
        """Seconds on the recorder's clock; statement durations are differences of two."""
        return self._services().monotonic()

    def summary_of(self, query: object, context: Any) -> tuple[StatementSummary, str]:
        """Return the summary and the text of ``query`` (``str``, ``bytes`` or composed SQL)."""
        try:
            if isinstance(query, str):
                text = query
            elif isinstance(query, bytes):
                text = query.decode("utf-8", "replace")
            elif isinstance(query, sql.Composable):
                text = query.as_string(context)
            else:
                return _UNKNOWN, ""
            return summarize(text), text
        except Exception:  # a statement we cannot read is still executed and timed
            return _UNKNOWN, ""

    def start(
        self, summary: StatementSummary, text: str, conn: Any, batch_size: int | None = None
    ) -> Span:
        """Start the CLIENT span of one statement under the current context. Never raises."""
        try:
            span = self._services().tracer.start_span(summary.span_name, kind=SpanKind.CLIENT)
        except Exception:  # a broken tracer must not stop the statement
            _log.warning("could not start a database span", exc_info=True)
            return trace.INVALID_SPAN
        if span.is_recording():
            try:
                span.set_attribute(semconv.DB_SYSTEM_NAME, semconv.POSTGRESQL)
                span.set_attribute(semconv.DB_OPERATION_NAME, summary.operation)
                if summary.collection:
                    span.set_attribute(semconv.DB_COLLECTION_NAME, summary.collection)
                if self._capture_query_text and text:
                    span.set_attribute(
                        semconv.DB_QUERY_TEXT, sanitize(text, self._max_query_text)
                    )
                if batch_size is not None and batch_size > 1:
                    span.set_attribute(semconv.DB_OPERATION_BATCH_SIZE, batch_size)
                info = conn.info
                span.set_attribute(semconv.DB_NAMESPACE, info.dbname)
                if info.host and not info.host.startswith("/"):
                    span.set_attribute(semconv.SERVER_ADDRESS, info.host)
                span.set_attribute(semconv.SERVER_PORT, int(info.port))
            except Exception:  # attributes are best effort (e.g. a closed connection)
                _log.debug("could not read connection attributes", exc_info=True)
        return span

    def finish(
        self,
        span: Span,
        summary: StatementSummary,
        started: float,
        error: BaseException | None,
    ) -> None:
        """Record the duration, classify ``error`` if any and end ``span``. Never raises."""
        try:
            services = self._services()
            elapsed = services.monotonic() - started
            error_type = error_class = ""
            if error is not None:
                error_class = services.classifier.classify(error).value
                error_type = self._error_types(exception_type_name(error))
                if span.is_recording():
                    _mark_failed(span, error, error_type, error_class, services.scrubber)
            collection = self._collections(summary.collection) if summary.collection else ""
            key = (summary.operation, collection, error_type, error_class)
            child = self._children.get(key)
            if child is None:
                child = services.histogram.labels(semconv.POSTGRESQL, *key)
                self._children[key] = child
            child.observe(elapsed)
        except Exception:  # telemetry must never break the application
            _log.warning("failed to record a database statement", exc_info=True)
        finally:
            span.end()


def _mark_failed(
    span: Span, error: BaseException, error_type: str, error_class: str, scrubber: Scrubber
) -> None:
    span.set_attribute(attr.ERROR_TYPE, error_type)
    span.set_attribute(attr.ERROR_CLASS, error_class)
    diag = getattr(error, "diag", None)
    sqlstate = getattr(error, "sqlstate", None)
    if sqlstate:
        span.set_attribute(semconv.DB_RESPONSE_STATUS_CODE, sqlstate)
    # The primary message only: DETAIL lines may quote row values.
    message = getattr(diag, "message_primary", None) or exception_message(error).split("\n", 1)[0]
    message = scrubber.scrub_string(message)
    span.add_event(
        "exception",
        {attr.EXCEPTION_TYPE: error_type, attr.EXCEPTION_MESSAGE: message},
    )
    span.set_status(Status(StatusCode.ERROR, message))
