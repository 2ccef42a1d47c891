"""Trace, span, request and job IDs for structlog and loguru users.

The standard library's logging gets them from
:class:`~signalpost.logcontext.CorrelationFilter`; structlog and loguru bypass
logging filters, so each gets the small hook it understands. Neither library is imported here:
the hooks work on the plain dictionaries both libraries pass around, so Signalpost does not
depend on either.

structlog (add the processor before the renderer)::

    import structlog
    from signalpost.logadapters import structlog_processor

    structlog.configure(processors=[
        structlog_processor(),
        structlog.processors.JSONRenderer(),
    ])

loguru (``patch`` runs the patcher on every record; the IDs land in ``record["extra"]``)::

    from loguru import logger
    from signalpost.logadapters import loguru_patcher

    logger = logger.patch(loguru_patcher())
    logger.add(sys.stderr, serialize=True)  # or "{extra[trace_id]}" in a format string

Both add ``trace_id`` and ``span_id`` (inside a recording or remote span), ``request_id`` and
``job_id`` (inside a request or a monitored job), and omit what is not set. With a
``scrubber``, they also scrub the message and the other values, as Signalpost's own handlers do.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import format_span_id, format_trace_id

from signalpost.context import job_id_var, request_id_var
from signalpost.errors.scrub import FILTERED, Scrubber

__all__ = ["correlation_ids", "loguru_patcher", "structlog_processor"]

_ID_KEYS = frozenset({"trace_id", "span_id", "request_id", "job_id"})


def correlation_ids() -> dict[str, str]:
    """Return the IDs of the current context: ``trace_id``, ``span_id``, ``request_id``,
    ``job_id``, each only when set."""
    ids: dict[str, str] = {}
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        ids["trace_id"] = format_trace_id(span_context.trace_id)
        ids["span_id"] = format_span_id(span_context.span_id)
    request_id = request_id_var.get()
    if request_id is not None:
        ids["request_id"] = request_id
    job_id = job_id_var.get()
    if job_id is not None:
        ids["job_id"] = job_id
    return ids


def _scrub_values(values: MutableMapping[str, Any], scrubber: Scrubber) -> None:
    for key, value in list(values.items()):
        if key in _ID_KEYS:
            continue
        values[key] = FILTERED if scrubber.is_secret_key(key) else scrubber.scrub(value)


def structlog_processor(
    scrubber: Scrubber | None = None,
) -> Callable[[Any, str, MutableMapping[str, Any]], MutableMapping[str, Any]]:
    """Return a structlog processor adding the correlation IDs to each event dict.

    IDs the event already carries are kept. Place it before the renderer.

    Args:
        scrubber: When given, every other value of the event dict (the ``event`` message
            included) is scrubbed too.
    """

    def processor(
        logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        if scrubber is not None:
            _scrub_values(event_dict, scrubber)
        for key, value in correlation_ids().items():
            event_dict.setdefault(key, value)
        return event_dict

    return processor


def loguru_patcher(scrubber: Scrubber | None = None) -> Callable[[Any], None]:
    """Return a loguru patcher adding the correlation IDs to ``record["extra"]``.

    Use it with ``logger.patch(loguru_patcher())`` or ``logger.configure(patcher=...)``.

    Args:
        scrubber: When given, ``record["message"]`` and the other ``extra`` values are
            scrubbed too (the exception is left to loguru; log it through the standard
            library's logging, or scrub it in a sink, when it may hold secrets).
    """

    def patcher(record: Any) -> None:
        extra = record["extra"]
        if scrubber is not None:
            record["message"] = scrubber.scrub_string(record["message"])
            _scrub_values(extra, scrubber)
        for key, value in correlation_ids().items():
            extra.setdefault(key, value)

    return patcher
