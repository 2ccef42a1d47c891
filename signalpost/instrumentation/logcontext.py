"""A logging filter that stamps every record with trace, span, request and job IDs."""

from __future__ import annotations

import logging

from opentelemetry import trace

from signalpost.instrumentation.context import job_id_var, request_id_var

__all__ = ["CorrelationFilter"]


class CorrelationFilter(logging.Filter):
    """Adds ``trace_id``, ``span_id``, ``request_id`` and ``job_id`` to each record.

    Values are ``None`` outside a span, request or job. Attach it to handlers (it never drops a
    record), so that every line a handler writes can be joined to its trace and request.
    Attributes a record already has (set through ``extra=``) are left as they are.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            trace_id: str | None = format(span_context.trace_id, "032x")
            span_id: str | None = format(span_context.span_id, "016x")
        else:
            trace_id = span_id = None
        values = record.__dict__
        values.setdefault("trace_id", trace_id)
        values.setdefault("span_id", span_id)
        values.setdefault("request_id", request_id_var.get())
        values.setdefault("job_id", job_id_var.get())
        return True
