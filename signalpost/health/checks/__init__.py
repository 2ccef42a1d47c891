"""Built-in health checks: PostgreSQL, schema validation, host resources, HTTP and TCP."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from signalpost._lazy import load
from signalpost.health.checks.network import HttpCheck, TcpCheck
from signalpost.health.checks.schema_spec import (
    ExpectedSchema,
    SchemaSpecError,
    load_schema,
    parse_schema,
)
from signalpost.health.checks.settings import CheckSettings

if TYPE_CHECKING:
    from signalpost.health.checks.postgres import PostgresCheck
    from signalpost.health.checks.resources import ResourcesCheck, ResourceThresholds, Threshold
    from signalpost.health.checks.schema import SchemaCheck

__all__ = [
    "CheckSettings",
    "ExpectedSchema",
    "HttpCheck",
    "PostgresCheck",
    "ResourceThresholds",
    "ResourcesCheck",
    "SchemaCheck",
    "SchemaSpecError",
    "TcpCheck",
    "Threshold",
    "load_schema",
    "parse_schema",
]

# Checks that need an optional dependency load on first use, so that the rest of the package
# works without it and a missing extra is named when such a check is asked for.
_OPTIONAL = {
    "PostgresCheck": "signalpost.health.checks.postgres",
    "SchemaCheck": "signalpost.health.checks.schema",
    "ResourcesCheck": "signalpost.health.checks.resources",
    "ResourceThresholds": "signalpost.health.checks.resources",
    "Threshold": "signalpost.health.checks.resources",
}


def __getattr__(name: str) -> Any:
    return load(__name__, _OPTIONAL, name)
