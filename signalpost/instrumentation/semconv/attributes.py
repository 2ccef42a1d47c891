"""Attribute keys used on spans, log records and (translated) metric labels.

Where OpenTelemetry's semantic conventions define a key, it is used as spelled there.
"""

from __future__ import annotations

__all__ = [
    "ERROR_CLASS",
    "ERROR_FINGERPRINT",
    "ERROR_SOURCE",
    "ERROR_TYPE",
    "EXCEPTION_MESSAGE",
    "EXCEPTION_STACKTRACE",
    "EXCEPTION_TYPE",
    "HTTP_REQUEST_METHOD",
    "HTTP_REQUEST_METHOD_ORIGINAL",
    "HTTP_RESPONSE_STATUS_CODE",
    "HTTP_ROUTE",
    "REQUEST_ID",
    "SPAN_ID",
    "TRACE_ID",
]

# OpenTelemetry HTTP semantic conventions.
HTTP_REQUEST_METHOD = "http.request.method"
HTTP_REQUEST_METHOD_ORIGINAL = "http.request.method_original"
HTTP_ROUTE = "http.route"
HTTP_RESPONSE_STATUS_CODE = "http.response.status_code"

# OpenTelemetry exception and error conventions.
EXCEPTION_TYPE = "exception.type"
EXCEPTION_MESSAGE = "exception.message"
EXCEPTION_STACKTRACE = "exception.stacktrace"
ERROR_TYPE = "error.type"

# Signalpost's own keys (no semantic convention exists for them).
REQUEST_ID = "request.id"
ERROR_CLASS = "error.class"
ERROR_FINGERPRINT = "error.fingerprint"
ERROR_SOURCE = "error.source"
"""Where an error arose: http, job, db or health."""
TRACE_ID = "trace_id"
SPAN_ID = "span_id"
