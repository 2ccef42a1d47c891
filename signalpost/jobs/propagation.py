"""Carrying trace context from the code that enqueues a job to the job, through its payload.

In the request handler::

    payload = {"candidate_ids": ids, "trace": inject_context()}
    queue.put(payload)

In the worker::

    with monitored_job("ai_matching", parent=payload.get("trace")) as run:
        ...

The job's run span then has the request's span as its parent, so the request's trace shows
the jobs it caused. The carrier is a plain ``dict[str, str]`` (W3C ``traceparent``,
``tracestate`` and ``baggage`` with the default propagator), safe to JSON-encode.
"""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry import propagate
from opentelemetry.context import Context
from opentelemetry.propagators.textmap import TextMapPropagator

__all__ = ["ENQUEUED_AT_HEADER", "extract_context", "inject_context"]

ENQUEUED_AT_HEADER = "signalpost_enqueued_at"
"""Message header (beside the trace context) with the Unix time since which a job waits: its
enqueue, or the time its retry or countdown is due. Read by the worker (the wait recorded at the
start) and by the backlog readers (the age of the oldest waiting message)."""


def inject_context(
    carrier: dict[str, str] | None = None,
    *,
    context: Context | None = None,
    propagator: TextMapPropagator | None = None,
) -> dict[str, str]:
    """Write the current (or given) trace context into ``carrier`` and return it.

    Args:
        carrier: Dict to fill; a new one by default.
        context: Context to propagate; the current one by default.
        propagator: Defaults to the global propagator (``OTEL_PROPAGATORS``, W3C by default).

    Returns:
        The carrier; empty if there is no active span and no baggage.
    """
    carrier = {} if carrier is None else carrier
    (propagator or propagate.get_global_textmap()).inject(carrier, context=context)
    return carrier


def extract_context(
    carrier: Mapping[str, str] | None,
    *,
    propagator: TextMapPropagator | None = None,
) -> Context:
    """Return the context a carrier from :func:`inject_context` describes.

    A missing or malformed carrier gives an empty context (the job starts a new trace); it
    never raises.
    """
    if not carrier:
        return Context()
    try:
        return (propagator or propagate.get_global_textmap()).extract(dict(carrier))
    except Exception:
        return Context()
