"""Database client metrics and attribute keys, after OpenTelemetry's database conventions."""

from __future__ import annotations

from opentelemetry.semconv.attributes import db_attributes

from signalpost.semconv import attributes as attr
from signalpost.semconv._spec import MetricSpec

__all__ = [
    "DB_COLLECTION_NAME",
    "DB_NAMESPACE",
    "DB_OPERATION_BATCH_SIZE",
    "DB_OPERATION_NAME",
    "DB_QUERY_TEXT",
    "DB_RESPONSE_STATUS_CODE",
    "DB_SYSTEM_NAME",
    "DEFAULT_DURATION_BUCKETS",
    "OPERATION_DURATION",
    "OTHER_OPERATION",
    "POSTGRESQL",
    "SERVER_ADDRESS",
    "SERVER_PORT",
]

# OpenTelemetry database semantic conventions (stable keys).
DB_SYSTEM_NAME = db_attributes.DB_SYSTEM_NAME
DB_NAMESPACE = db_attributes.DB_NAMESPACE
DB_OPERATION_NAME = db_attributes.DB_OPERATION_NAME
DB_COLLECTION_NAME = db_attributes.DB_COLLECTION_NAME
DB_QUERY_TEXT = db_attributes.DB_QUERY_TEXT
DB_RESPONSE_STATUS_CODE = db_attributes.DB_RESPONSE_STATUS_CODE
DB_OPERATION_BATCH_SIZE = db_attributes.DB_OPERATION_BATCH_SIZE
SERVER_ADDRESS = attr.SERVER_ADDRESS
SERVER_PORT = attr.SERVER_PORT

POSTGRESQL: str = db_attributes.DbSystemNameValues.POSTGRESQL.value
# Label value for a statement whose first keyword is outside the known set.
OTHER_OPERATION = "_OTHER"

# The boundaries OpenTelemetry advises for db.client.operation.duration.
DEFAULT_DURATION_BUCKETS: tuple[float, ...] = (
    0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0,
)

OPERATION_DURATION = MetricSpec(
    name="db_client_operation_duration_seconds",
    kind="histogram",
    unit="seconds",
    help="Duration of database client operations (one per statement executed).",
    attributes=(
        DB_SYSTEM_NAME,
        DB_OPERATION_NAME,
        DB_COLLECTION_NAME,
        attr.ERROR_TYPE,
        attr.ERROR_CLASS,
    ),
    otel_name="db.client.operation.duration",
    otel_unit="s",
    buckets=DEFAULT_DURATION_BUCKETS,
)
