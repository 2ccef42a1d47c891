"""The local OTLP receiver (``collector.receiver``): real OTLP from the real SDK in, rows in
PostgreSQL out, nothing secret among them; its OTLP/HTTP answers; retention by age and size."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from signalpost.lookup import schema
from tests import postgres
from tests.otlp_store import fresh_database, post_otlp, receiver, store_text
from tests.secrets_fixture import SECRETS
from tests.servers import REPO, free_port, wait_answering, wait_for
from tests.test_no_secret_leaves import forms, headers_for, paths_for


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[postgres.PostgresServer]:
    server = postgres.acquire()
    yield server
    postgres.release()


@pytest.fixture
def database(postgres_server: postgres.PostgresServer) -> Iterator[str]:
    with fresh_database(postgres_server) as conninfo:
        yield conninfo


def _count(conninfo: str, sql: str) -> int:
    with psycopg.connect(conninfo) as conn:
        row = conn.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


def test_no_planted_secret_reaches_the_store(database: str, tmp_path: Path) -> None:
    """tests/secret_app.py under real uvicorn, exporting over OTLP/HTTP to the receiver: every
    secret of the fixture driven through failing requests, logs and failing jobs."""
    with receiver(database, tmp_path / "receiver.log") as otlp:
        port = free_port()
        env = {
            **os.environ, "PYTHONPATH": str(REPO),
            "OTEL_EXPORTER_OTLP_ENDPOINT": otlp.base_url,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_SERVICE_NAME": "secret-proof", "OTEL_TRACES_SAMPLER": "always_on",
            "OTEL_BSP_SCHEDULE_DELAY": "200", "OTEL_BLRP_SCHEDULE_DELAY": "200",
        }
        for name in ("OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "OTEL_LOGS_EXPORTER"):
            env.pop(name, None)
        log = tmp_path / "app.log"
        with log.open("wb") as out:
            app = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "tests.secret_app:app", "--host", "127.0.0.1",
                 "--port", str(port)],
                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
            )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_answering(app, f"{base}/metrics", lambda: log.read_text(errors="replace"))
            failed = 0
            with httpx.Client(base_url=base, timeout=30) as client:
                for n, secret in enumerate(SECRETS):
                    for path in paths_for(n, secret):
                        assert client.get(path, headers=headers_for(secret)).status_code == 500
                        failed += 1
                    assert client.get(f"/ok?n={n}").status_code == 200
                    assert client.post(f"/job/{n}").json() == {"job": "failed"}
            app.send_signal(signal.SIGTERM)  # flushes the batch processors
            assert app.wait(timeout=60) in (0, -signal.SIGTERM)
        finally:
            if app.poll() is None:
                app.kill()
                app.wait()
        errors = failed + len(SECRETS)
        wait_for(
            lambda: _count(database, "SELECT count(*) FROM signalpost_logs "
                                     "WHERE attributes ? 'error.fingerprint'") >= errors,
            "every error record in the store", timeout=30,
        )
    stored = store_text(database)
    # Positive controls: what would carry a secret is there, scrubbed.
    assert _count(database, "SELECT count(*) FROM signalpost_spans WHERE events::text "
                            "LIKE '%exception.stacktrace%'") >= errors
    assert "job.parameters" in stored
    assert _count(database, "SELECT count(*) FROM signalpost_logs "
                            "WHERE body LIKE 'calling partner with%'") == len(SECRETS)
    leaked = {s.name: sorted(f for f in forms(s.value) if f in stored) for s in SECRETS}
    assert {name: found for name, found in leaked.items() if found} == {}


def test_answers_as_an_otlp_http_server(database: str, tmp_path: Path) -> None:
    request = ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add()
    span.trace_id, span.span_id, span.name = bytes(range(16)), bytes(range(8)), "GET /x"
    span.start_time_unix_nano = span.end_time_unix_nano = 1_700_000_000 * 10**9
    with receiver(database, tmp_path / "receiver.log") as otlp:
        assert post_otlp(otlp.base_url, "/v1/traces", request).status_code == 200
        zipped = httpx.post(
            f"{otlp.base_url}/v1/traces", content=gzip.compress(request.SerializeToString()),
            headers={"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"},
        )
        assert zipped.status_code == 200
        assert zipped.headers["content-type"] == "application/x-protobuf"
        garbage = httpx.post(f"{otlp.base_url}/v1/logs", content=b"\xff\x00not protobuf",
                             headers={"Content-Type": "application/x-protobuf"})
        assert garbage.status_code == 400
        as_json = httpx.post(f"{otlp.base_url}/v1/traces", json={"resourceSpans": []})
        assert as_json.status_code == 415
    rows = _count(database, "SELECT count(*) FROM signalpost_spans "
                            "WHERE trace_id = '000102030405060708090a0b0c0d0e0f'")
    assert rows == 2
    assert _count(database, "SELECT count(*) FROM signalpost_spans WHERE service = "
                            "'unknown_service' AND start_time = to_timestamp(1700000000)") == 2


def test_answers_503_while_the_database_is_unreachable(tmp_path: Path) -> None:
    port = free_port()
    nowhere = f"host=127.0.0.1 port={free_port()} user=postgres dbname=none connect_timeout=1"
    log = tmp_path / "receiver.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "collector.receiver", "--dsn", nowhere, "--port", str(port)],
            cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_answering(process, f"{base}/v1/traces", lambda: log.read_text(), what="receiver")
        assert httpx.get(f"{base}/health").status_code == 503
        request = ExportTraceServiceRequest()
        span = request.resource_spans.add().scope_spans.add().spans.add()
        span.trace_id, span.span_id, span.name = bytes(16), bytes(8), "x"
        refused = post_otlp(base, "/v1/traces", request)
        assert refused.status_code == 503  # the SDK exporters retry a 503
        assert refused.headers["retry-after"] == "5"
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_retention_drops_whole_hours_by_age_then_by_size(database: str) -> None:
    now = datetime(2026, 12, 5, 12, 30, tzinfo=UTC)
    span_insert = (f"INSERT INTO {schema.SPANS} ({', '.join(schema.SPAN_COLUMNS)}) VALUES "
                   "(%s, %s, NULL, 's', NULL, 'n', 0, %s, 1, 0, NULL, '{}', NULL)")
    with psycopg.connect(database, autocommit=True) as conn:
        schema.migrate(conn)
        for hours_ago in range(5, -1, -1):
            schema.ensure_partitions(conn, now - timedelta(hours=hours_ago))
        for hours_ago in range(5, -1, -1):
            stamp = now - timedelta(hours=hours_ago)
            with conn.cursor() as cur:
                cur.executemany(span_insert, [(f"{hours_ago:032x}", f"{i:016x}", stamp)
                                              for i in range(300)])
        hours = sorted({p.hour for p in schema.partitions(conn)})
        assert hours[0] == datetime(2026, 12, 5, 6, tzinfo=UTC)  # 1 h before the oldest rows
        assert hours[-1] == datetime(2026, 12, 5, 14, tzinfo=UTC)  # 2 h ahead
        # By age: a 3-hour bound keeps the hours that end after 09:30.
        dropped = schema.drop_partitions(conn, now, timedelta(hours=3), 10**12)
        assert sorted(dropped) == sorted(
            f"{table}_p20261205{h:02d}" for table in (schema.SPANS, schema.LOGS)
            for h in (6, 7, 8)
        )
        left = conn.execute(f"SELECT DISTINCT trace_id FROM {schema.SPANS}").fetchall()
        assert sorted(int(t, 16) for (t,) in left) == [0, 1, 2, 3]
        # By size: a bound smaller than one hour drops every hour but the current one.
        schema.drop_partitions(conn, now, timedelta(hours=3), 1)
        left = conn.execute(f"SELECT DISTINCT trace_id FROM {schema.SPANS}").fetchall()
        assert [int(t, 16) for (t,) in left] == [0]
        # Rows outside any prepared hour land in the default partition and age out too.
        conn.execute(span_insert, ("f" * 32, "e" * 16, now - timedelta(days=3)))
        schema.drop_partitions(conn, now, timedelta(hours=3), 10**12)
        assert conn.execute(f"SELECT count(*) FROM {schema.SPANS}_default").fetchone() == (0,)


@pytest.fixture(scope="module")
def shared_receiver(
    postgres_server: postgres.PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """(receiver URL, conninfo) shared by the property test's examples."""
    with fresh_database(postgres_server) as conninfo:
        log = tmp_path_factory.mktemp("receiver") / "receiver.log"
        with receiver(conninfo, log) as otlp:
            yield otlp.base_url, conninfo


_TEXT = st.text(max_size=40)  # every code point, NUL and surrogates' neighbours included
_SCALAR = st.one_of(
    _TEXT, st.integers(min_value=-(2**63), max_value=2**63 - 1), st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True), st.binary(max_size=16),
)


def _set(value: Any, target: AnyValue) -> None:
    if isinstance(value, str):
        target.string_value = value
    elif isinstance(value, bool):
        target.bool_value = value
    elif isinstance(value, int):
        target.int_value = value
    elif isinstance(value, float):
        target.double_value = value
    elif isinstance(value, bytes):
        target.bytes_value = value
    else:
        for item in value:
            _set(item, target.array_value.values.add())


@settings(max_examples=40, deadline=None)
@given(name=_TEXT, values=st.dictionaries(_TEXT, st.one_of(_SCALAR, st.lists(_SCALAR,
       max_size=3)), max_size=5), start=st.integers(min_value=0, max_value=2**64 - 1))
def test_any_span_a_client_sends_is_stored_or_refused_never_a_500(
    shared_receiver: tuple[str, str], name: str, values: dict[str, Any], start: int
) -> None:
    url, conninfo = shared_receiver
    request = ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add()
    span.trace_id, span.span_id = os.urandom(16), os.urandom(8)
    span.name, span.start_time_unix_nano, span.end_time_unix_nano = name, start, start
    for key, value in values.items():
        attribute = span.attributes.add()
        attribute.key = key
        _set(value, attribute.value)
    logs = ExportLogsServiceRequest()
    record = logs.resource_logs.add().scope_logs.add().log_records.add()
    record.time_unix_nano = start
    _set(values.get(name, name), record.body)
    for path, message in (("/v1/traces", request), ("/v1/logs", logs)):
        assert post_otlp(url, path, message).status_code == 200
    with psycopg.connect(conninfo) as conn:
        stored = conn.execute(
            "SELECT name, attributes FROM signalpost_spans WHERE trace_id = %s",
            (span.trace_id.hex(),),
        ).fetchone()
    assert stored is not None
    assert stored[0] == name.replace("\x00", "\ufffd")
    assert set(stored[1]) == {k.replace("\x00", "\ufffd") for k in values}
