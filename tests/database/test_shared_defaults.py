"""Database instrumentation created after setup() records with what setup() created."""

from __future__ import annotations

import psycopg
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry

from signalpost.database import DatabaseInstrumentation, instrument_connection
from signalpost.errors.classify import ErrorClass, ErrorClassifier
from signalpost.sdk import SetupOptions
from signalpost.sdk.setup import setup


def test_database_errors_use_the_setups_registry_tracer_and_classifier(
    dsn: str,
    registry: CollectorRegistry,
    tracer_provider: TracerProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    classifier = ErrorClassifier()
    # A missing table is a configuration error by default; this deployment says transient
    # (tables appear when a migration job finishes).
    classifier.register(psycopg.errors.UndefinedTable, ErrorClass.TRANSIENT)
    telemetry = setup(
        options=SetupOptions(
            registry=registry,
            tracer_provider=tracer_provider,
            classifier=classifier,
            set_global_providers=False,
            configure_logging=False,
        ),
    )
    try:
        db = DatabaseInstrumentation()
        with db.connect(dsn, autocommit=True) as conn:
            with pytest.raises(psycopg.errors.UndefinedTable):
                conn.execute("SELECT * FROM not_migrated_yet")
        with instrument_connection(psycopg.connect(dsn, autocommit=True)) as conn:
            with pytest.raises(psycopg.errors.UndefinedTable):
                conn.execute("SELECT * FROM not_migrated_yet")
    finally:
        telemetry.shutdown()
    labels = {
        "db_system_name": "postgresql",
        "db_operation_name": "SELECT",
        "db_collection_name": "not_migrated_yet",
        "error_type": "psycopg.errors.UndefinedTable",
        "error_class": "transient",
    }
    value = registry.get_sample_value("db_client_operation_duration_seconds_count", labels)
    assert value == 2
    failed = [s for s in span_exporter.get_finished_spans() if s.name == "SELECT not_migrated_yet"]
    assert len(failed) == 2
    assert all(dict(s.attributes or {})["error.class"] == "transient" for s in failed)
