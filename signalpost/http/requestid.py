"""Request IDs: accepting a client's ID only when it is safe, generating one otherwise."""

from __future__ import annotations

import os
import re

from opentelemetry.trace import format_trace_id

__all__ = ["DEFAULT_HEADER", "generate_request_id", "is_safe_request_id"]

DEFAULT_HEADER = "X-Request-ID"
_MAX_LENGTH = 128
# Letters, digits and a few separators found in UUIDs, ULIDs and trace IDs; nothing that can
# break a log line, a header or a query (no spaces, quotes, control characters or Unicode).
_SAFE = re.compile(r"[A-Za-z0-9._~:\-]+")


def is_safe_request_id(value: str) -> bool:
    """Return whether a client-supplied request ID may be used as it is."""
    return 0 < len(value) <= _MAX_LENGTH and _SAFE.fullmatch(value) is not None


def generate_request_id(trace_id: int = 0) -> str:
    """Return a new request ID: the trace ID in hex when given, else 32 random hex digits.

    Using the trace ID means one ID finds both the logs and the trace of a request.
    """
    if trace_id:
        return format_trace_id(trace_id)
    return os.urandom(16).hex()
