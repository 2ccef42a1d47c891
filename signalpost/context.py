"""Context variables for the IDs that tie telemetry together: request ID and job ID."""

from __future__ import annotations

from contextvars import ContextVar

__all__ = ["current_job_id", "current_request_id", "job_id_var", "request_id_var"]

request_id_var: ContextVar[str | None] = ContextVar("signalpost_request_id", default=None)
job_id_var: ContextVar[str | None] = ContextVar("signalpost_job_id", default=None)


def current_request_id() -> str | None:
    """Return the ID of the HTTP request being handled, or ``None`` outside a request."""
    return request_id_var.get()


def current_job_id() -> str | None:
    """Return the ID of the background job running in this context, or ``None``."""
    return job_id_var.get()
