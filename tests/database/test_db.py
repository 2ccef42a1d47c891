"""Statement timing and spans through psycopg 3, against a real PostgreSQL."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import NoOpTracer, NoOpTracerProvider, SpanKind, StatusCode
from prometheus_client import CollectorRegistry
from psycopg import sql
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from signalpost import runtime
from signalpost.database import DatabaseInstrumentation, instrument_connection
from signalpost.runtime import Runtime

METRIC = "db_client_operation_duration_seconds"


def count(
    registry: CollectorRegistry,
    operation: str,
    collection: str = "",
    error_type: str = "",
    error_class: str = "",
) -> float:
    value = registry.get_sample_value(
        f"{METRIC}_count",
        {
            "db_system_name": "postgresql",
            "db_operation_name": operation,
            "db_collection_name": collection,
            "error_type": error_type,
            "error_class": error_class,
        },
    )
    return value or 0.0


@pytest.fixture
def db(registry: CollectorRegistry, tracer_provider: TracerProvider) -> DatabaseInstrumentation:
    return DatabaseInstrumentation(runtime=Runtime(registry=registry, tracer_provider=tracer_provider))


def test_sync_statements_are_timed_with_operation_and_table(
    dsn: str, db: DatabaseInstrumentation, registry: CollectorRegistry
) -> None:
    with db.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE users (id int PRIMARY KEY, email text)")
        conn.execute("INSERT INTO users (id, email) VALUES (%s, %s)", (1, "a@example.org"))
        with conn.cursor() as cur:
            cur.execute("UPDATE users SET email = %s WHERE id = %s", ("b@example.org", 1))
            rows = cur.execute("SELECT id, email FROM users").fetchall()
            cur.execute("DELETE FROM users WHERE id = %s", (2,))
    assert rows == [(1, "b@example.org")]
    for operation in ("CREATE", "INSERT", "UPDATE", "SELECT", "DELETE"):
        assert count(registry, operation, "users") == 1, operation
    total = registry.get_sample_value(
        f"{METRIC}_sum",
        {
            "db_system_name": "postgresql",
            "db_operation_name": "SELECT",
            "db_collection_name": "users",
            "error_type": "",
            "error_class": "",
        },
    )
    assert total is not None and 0 < total < 5


def test_span_per_statement_under_current_trace_without_parameters(
    dsn: str,
    db: DatabaseInstrumentation,
    tracer_provider: TracerProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    tracer = tracer_provider.get_tracer("test")
    with db.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE secrets (id int, token text)")
        span_exporter.clear()
        with tracer.start_as_current_span("request") as parent:
            conn.execute(
                "INSERT INTO secrets VALUES (%s, %s), (7, 'literal-secret')",
                (1, "param-secret"),
            )
    spans = span_exporter.get_finished_spans()
    statement = next(s for s in spans if s.name == "INSERT secrets")
    assert statement.kind is SpanKind.CLIENT
    assert statement.parent is not None
    assert statement.parent.span_id == parent.get_span_context().span_id
    attributes = dict(statement.attributes or {})
    assert attributes["db.system.name"] == "postgresql"
    assert attributes["db.operation.name"] == "INSERT"
    assert attributes["db.collection.name"] == "secrets"
    assert attributes["db.namespace"] == "postgres"
    assert attributes["server.address"] == "127.0.0.1"
    text = str(attributes["db.query.text"])
    assert text == "INSERT INTO secrets VALUES (%s, %s), (?, ?)"
    recorded = " ".join(str(v) for v in attributes.values())
    assert "param-secret" not in recorded
    assert "literal-secret" not in recorded


def test_errors_are_classified_and_reraised_unchanged(
    dsn: str,
    db: DatabaseInstrumentation,
    registry: CollectorRegistry,
    span_exporter: InMemorySpanExporter,
) -> None:
    with db.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE items (id int PRIMARY KEY)")
        conn.execute("INSERT INTO items VALUES (1)")
        with pytest.raises(psycopg.errors.UniqueViolation) as duplicate:
            conn.execute("INSERT INTO items VALUES (%s)", (1,))
        with pytest.raises(psycopg.errors.UndefinedTable):
            conn.execute("SELECT * FROM missing_table")
    assert duplicate.value.sqlstate == "23505"
    assert duplicate.value.__traceback__ is not None
    assert count(registry, "INSERT", "items", "psycopg.errors.UniqueViolation", "data") == 1
    assert count(registry, "INSERT", "items") == 1
    assert (
        count(registry, "SELECT", "missing_table", "psycopg.errors.UndefinedTable", "configuration")
        == 1
    )
    spans = span_exporter.get_finished_spans()
    failed = [s for s in spans if s.status.status_code is StatusCode.ERROR]
    assert {s.name for s in failed} == {"INSERT items", "SELECT missing_table"}
    insert = next(s for s in failed if s.name == "INSERT items")
    attributes = dict(insert.attributes or {})
    assert attributes["error.type"] == "psycopg.errors.UniqueViolation"
    assert attributes["error.class"] == "data"
    assert attributes["db.response.status_code"] == "23505"
    event = insert.events[0]
    assert event.name == "exception"
    # The primary message only: the DETAIL line would quote the duplicated key's value.
    assert "(id)=(1)" not in str(dict(event.attributes or {}))


def test_lost_connection_is_transient(
    dsn: str, db: DatabaseInstrumentation, registry: CollectorRegistry
) -> None:
    with (
        db.connect(dsn, autocommit=True) as victim,
        psycopg.connect(dsn, autocommit=True) as killer,
    ):
        killer.execute("SELECT pg_terminate_backend(%s)", (victim.info.backend_pid,))
        with pytest.raises(psycopg.OperationalError):
            victim.execute("SELECT 1")
    samples = [
        s
        for metric in registry.collect()
        for s in metric.samples
        if s.name == f"{METRIC}_count" and s.labels["error_class"]
    ]
    assert [s.labels["error_class"] for s in samples] == ["transient"]
    assert samples[0].labels["error_type"].startswith("psycopg")


def test_executemany_is_one_operation_with_batch_size(
    dsn: str,
    db: DatabaseInstrumentation,
    registry: CollectorRegistry,
    span_exporter: InMemorySpanExporter,
) -> None:
    with db.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE batch (id int)")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO batch VALUES (%s)", [(i,) for i in range(5)])
        assert conn.execute("SELECT count(*) FROM batch").fetchone() == (5,)
    assert count(registry, "INSERT", "batch") == 1
    span = next(s for s in span_exporter.get_finished_spans() if s.name == "INSERT batch")
    assert dict(span.attributes or {})["db.operation.batch.size"] == 5


def test_composed_sql_and_user_cursor_class_keep_working(
    dsn: str, db: DatabaseInstrumentation, registry: CollectorRegistry
) -> None:
    with psycopg.connect(dsn, autocommit=True, cursor_factory=psycopg.ClientCursor) as conn:
        db.instrument(conn)
        db.instrument(conn)  # idempotent: statements are not counted twice
        query = sql.SQL("SELECT {} FROM {}").format(
            sql.Identifier("n"), sql.Identifier("Weird Table")
        )
        conn.execute('CREATE TABLE "Weird Table" (n int)')
        conn.execute('INSERT INTO "Weird Table" VALUES (3)')
        cur = conn.cursor()
        assert isinstance(cur, psycopg.ClientCursor)
        assert cur.mogrify("SELECT %s", (1,)) == "SELECT 1"
        assert cur.execute(query).fetchall() == [(3,)]
    assert count(registry, "SELECT", "Weird Table") == 1
    assert count(registry, "INSERT", "Weird Table") == 1


def test_metrics_recorded_when_tracing_is_off(dsn: str, registry: CollectorRegistry) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=ALWAYS_OFF)
    with psycopg.connect(dsn, autocommit=True) as conn:
        instrument_connection(conn, registry=registry, tracer_provider=provider)
        assert conn.execute("SELECT 41 + 1").fetchone() == (42,)
    assert exporter.get_finished_spans() == ()
    assert count(registry, "SELECT") == 1


def test_broken_telemetry_never_changes_the_result(
    dsn: str,
    db: DatabaseInstrumentation,
    registry: CollectorRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Broken:
        def labels(self, *values: str) -> None:
            raise RuntimeError("metrics backend exploded")

    recorder = db.recorder
    broken = recorder._services()._replace(histogram=Broken())
    monkeypatch.setattr(recorder, "_services", lambda: broken)
    with db.connect(dsn, autocommit=True) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
        with pytest.raises(psycopg.errors.UndefinedTable):
            conn.execute("SELECT * FROM nowhere")


def test_sync_pool_connections_are_instrumented(
    dsn: str, db: DatabaseInstrumentation, registry: CollectorRegistry
) -> None:
    with ConnectionPool(dsn, min_size=1, max_size=2, configure=db.configure, open=True) as pool:
        with pool.connection() as conn:
            conn.execute("SELECT 1")
        with pool.connection() as conn, conn.cursor() as cur:
            cur.execute("SELECT 2")
    assert count(registry, "SELECT") == 2


async def test_async_connection_and_pool(
    dsn: str,
    db: DatabaseInstrumentation,
    registry: CollectorRegistry,
    span_exporter: InMemorySpanExporter,
) -> None:
    conn = await db.connect_async(dsn, autocommit=True)
    async with conn:
        await conn.execute("CREATE TABLE events (id int)")
        async with conn.cursor() as cur:
            await cur.executemany("INSERT INTO events VALUES (%s)", [(1,), (2,)])
            await cur.execute("SELECT id FROM events ORDER BY id")
            assert await cur.fetchall() == [(1,), (2,)]
        with pytest.raises(psycopg.errors.UndefinedColumn):
            await conn.execute("SELECT nope FROM events")
    async with AsyncConnectionPool(
        dsn, min_size=1, max_size=2, configure=db.configure_async, open=False
    ) as pool:
        async with pool.connection() as pooled:
            await pooled.execute("UPDATE events SET id = id + 1")
    assert count(registry, "CREATE", "events") == 1
    assert count(registry, "INSERT", "events") == 1
    assert count(registry, "SELECT", "events") == 1
    assert count(registry, "UPDATE", "events") == 1
    assert (
        count(registry, "SELECT", "events", "psycopg.errors.UndefinedColumn", "configuration")
        == 1
    )
    names = [s.name for s in span_exporter.get_finished_spans()]
    assert names.count("INSERT events") == 1
    assert "UPDATE events" in names


def test_broken_tracer_never_stops_the_statement(dsn: str, registry: CollectorRegistry) -> None:
    class BrokenTracer(NoOpTracer):
        def start_span(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("tracer exploded")

    class BrokenProvider(NoOpTracerProvider):
        def get_tracer(self, *args: Any, **kwargs: Any) -> Any:
            return BrokenTracer()

    db = DatabaseInstrumentation(runtime=Runtime(registry=registry, tracer_provider=BrokenProvider()))
    with db.connect(dsn, autocommit=True) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    assert count(registry, "SELECT") == 1


def test_an_instrumentation_made_before_set_up_records_in_set_up_s_runtime(dsn: str) -> None:
    early = DatabaseInstrumentation()  # at import, before setup()
    installed = Runtime(registry=CollectorRegistry())
    undo = runtime.install(installed)
    try:
        with early.connect(dsn, autocommit=True) as conn:
            conn.execute("SELECT 1")
    finally:
        undo()
    assert count(installed.registry, "SELECT") == 1


def test_an_instrumentation_given_a_runtime_records_there(dsn: str) -> None:
    own = Runtime(registry=CollectorRegistry())
    with DatabaseInstrumentation(runtime=own).connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT 1")
    assert count(own.registry, "SELECT") == 1
