"""Built-in health checks: PostgreSQL, schema validation, host resources, HTTP and TCP."""

from __future__ import annotations

from instrumentation.health.checks.network import HttpCheck, TcpCheck
from instrumentation.health.checks.postgres import PostgresCheck
from instrumentation.health.checks.resources import ResourcesCheck, Threshold
from instrumentation.health.checks.schema import SchemaCheck
from instrumentation.health.checks.schema_spec import (
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
