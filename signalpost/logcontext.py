"""A logging filter that stamps every record with trace, span, request and job IDs."""

from __future__ import annotations

import logging

from opentelemetry import trace
from opentelemetry.trace import format_span_id, format_trace_id

from signalpost.context import job_id_var, request_id_var

__all__ = ["CorrelationFilter"]


class CorrelationFilter(logging.Filter):
    """Adds ``trace_id``, ``span_id``, ``request_id`` and ``job_id`` to each record.

    Each is set only when there is one (outside a span, request or job the attribute is absent,
    not ``None``). Attach it to handlers (it never drops a record), so that every line a handler
    writes can be joined to its trace and request. Attributes a record already has (set through
    ``extra=``) are left as they are.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        values = record.__dict__
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            values.setdefault("trace_id", format_trace_id(span_context.trace_id))
            values.setdefault("span_id", format_span_id(span_context.span_id))
        request_id = request_id_var.get()
        if request_id is not None:
            values.setdefault("request_id", request_id)
        job_id = job_id_var.get()
        if job_id is not None:
            values.setdefault("job_id", job_id)
        return True
