"""Attribute keys used on spans, log records and (translated) metric labels.

Where OpenTelemetry's semantic conventions define a key, it is taken from the
``opentelemetry-semantic-conventions`` package (the stable ``attributes`` modules), not retyped.
"""

from __future__ import annotations

from opentelemetry.semconv.attributes import (
    client_attributes,
    error_attributes,
    exception_attributes,
    http_attributes,
    network_attributes,
    server_attributes,
    service_attributes,
    url_attributes,
    user_agent_attributes,
)

__all__ = [
    "CLIENT_ADDRESS",
    "ERROR_CLASS",
    "ERROR_FINGERPRINT",
    "ERROR_SOURCE",
    "ERROR_TYPE",
    "ERROR_TYPE_OTHER",
    "EXCEPTION_MESSAGE",
    "EXCEPTION_STACKTRACE",
    "EXCEPTION_TYPE",
    "HTTP_REQUEST_METHOD",
    "HTTP_REQUEST_METHOD_ORIGINAL",
    "HTTP_RESPONSE_STATUS_CODE",
    "HTTP_ROUTE",
    "NETWORK_PROTOCOL_VERSION",
    "REQUEST_ID",
    "SERVER_ADDRESS",
    "SERVER_PORT",
    "SERVICE_NAME",
    "SPAN_ID",
    "TRACE_ID",
    "URL_PATH",
    "URL_SCHEME",
    "USER_AGENT_ORIGINAL",
]

# OpenTelemetry HTTP semantic conventions.
HTTP_REQUEST_METHOD = http_attributes.HTTP_REQUEST_METHOD
HTTP_REQUEST_METHOD_ORIGINAL = http_attributes.HTTP_REQUEST_METHOD_ORIGINAL
HTTP_ROUTE = http_attributes.HTTP_ROUTE
HTTP_RESPONSE_STATUS_CODE = http_attributes.HTTP_RESPONSE_STATUS_CODE
URL_SCHEME = url_attributes.URL_SCHEME
URL_PATH = url_attributes.URL_PATH
NETWORK_PROTOCOL_VERSION = network_attributes.NETWORK_PROTOCOL_VERSION
SERVER_ADDRESS = server_attributes.SERVER_ADDRESS
SERVER_PORT = server_attributes.SERVER_PORT
CLIENT_ADDRESS = client_attributes.CLIENT_ADDRESS
USER_AGENT_ORIGINAL = user_agent_attributes.USER_AGENT_ORIGINAL

# OpenTelemetry resource conventions.
SERVICE_NAME = service_attributes.SERVICE_NAME

# OpenTelemetry exception and error conventions.
EXCEPTION_TYPE = exception_attributes.EXCEPTION_TYPE
EXCEPTION_MESSAGE = exception_attributes.EXCEPTION_MESSAGE
EXCEPTION_STACKTRACE = exception_attributes.EXCEPTION_STACKTRACE
ERROR_TYPE = error_attributes.ERROR_TYPE
# The value the conventions reserve for an error type outside the known set.
ERROR_TYPE_OTHER: str = error_attributes.ErrorTypeValues.OTHER.value

# Signalpost's own keys (no semantic convention exists for them).
REQUEST_ID = "request.id"
ERROR_CLASS = "error.class"
ERROR_FINGERPRINT = "error.fingerprint"
ERROR_SOURCE = "error.source"
"""Where an error arose: http, job, db or health."""
TRACE_ID = "trace_id"
SPAN_ID = "span_id"
