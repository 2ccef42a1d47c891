"""Built-in health checks: PostgreSQL, schema validation, host resources, HTTP and TCP."""

from __future__ import annotations

from signalpost.instrumentation.health.checks.network import HttpCheck, TcpCheck
from signalpost.instrumentation.health.checks.postgres import PostgresCheck
from signalpost.instrumentation.health.checks.resources import ResourcesCheck, Threshold
from signalpost.instrumentation.health.checks.schema import SchemaCheck
from signalpost.instrumentation.health.checks.schema_spec import (
    ExpectedSchema,
    SchemaSpecError,
    load_schema,
    parse_schema,
)

__all__ = [
    "ExpectedSchema",
    "HttpCheck",
    "PostgresCheck",
    "ResourcesCheck",
    "SchemaCheck",
    "SchemaSpecError",
    "TcpCheck",
    "Threshold",
    "load_schema",
    "parse_schema",
]
