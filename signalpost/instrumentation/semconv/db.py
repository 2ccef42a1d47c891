"""Database client metrics and attribute keys, after OpenTelemetry's database conventions."""

from __future__ import annotations

from signalpost.instrumentation.semconv import attributes as attr
from signalpost.instrumentation.semconv._spec import MetricSpec

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
DB_SYSTEM_NAME = "db.system.name"
DB_NAMESPACE = "db.namespace"
DB_OPERATION_NAME = "db.operation.name"
DB_COLLECTION_NAME = "db.collection.name"
DB_QUERY_TEXT = "db.query.text"
DB_RESPONSE_STATUS_CODE = "db.response.status_code"
DB_OPERATION_BATCH_SIZE = "db.operation.batch.size"
SERVER_ADDRESS = "server.address"
SERVER_PORT = "server.port"

POSTGRESQL = "postgresql"
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
