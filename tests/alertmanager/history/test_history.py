"""The alert history receiver against real PostgreSQL, uvicorn and Alertmanager processes."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alertmanager.history import PayloadError, migrate, parse_payload
from prometheus.catalog import Alert
from tests import postgres
from tests.alertmanager.harness import AlertmanagerServer
from tests.alertmanager.history.conftest import Receiver
from tests.servers import wait_for

COLUMNS = {
    "id": "bigint", "fingerprint": "text", "alertname": "text", "status": "text",
    "severity": "text", "service": "text", "starts_at": "timestamp with time zone",
    "ends_at": "timestamp with time zone", "labels": "jsonb", "annotations": "jsonb",
    "receiver": "text", "group_key": "text", "received_at": "timestamp with time zone",
    "example_trace_ids": "ARRAY",
}


def rows(conninfo: str, service: str) -> list[dict[str, Any]]:
    with psycopg.connect(conninfo) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        cur.execute("SELECT * FROM alert_history WHERE service = %s ORDER BY id", (service,))
        return cur.fetchall()


def payload(service: str, status: str = "firing", fingerprint: str | None = None,
            ends_at: str = "0001-01-01T00:00:00Z") -> dict[str, Any]:
    labels = {"alertname": Alert.JOB_FAILED.value, "severity": "warning", "service": service,
              "job_type": "matching"}
    return {
        "version": "4", "status": status, "receiver": "history",
        "groupKey": '{}/{}:{alertname="JobFailed"}', "truncatedAlerts": 0,
        "groupLabels": {}, "commonLabels": labels, "commonAnnotations": {},
        "externalURL": "http://am", "alerts": [{
            "status": status, "labels": labels,
            "annotations": {"summary": "s", "runbook_url": "https://r.example.test/x.md"},
            "startsAt": "2026-11-24T10:00:00.123456789Z", "endsAt": ends_at,
            "generatorURL": "http://prom", "fingerprint": fingerprint or uuid.uuid4().hex[:16],
        }],
    }


def test_migration_creates_the_table_the_dashboards_read(receiver: Receiver, database: str) -> None:
    assert migrate(database) == []  # the receiver migrated at start-up; again is a no-op
    with psycopg.connect(database) as conn:
        found: dict[str, str] = dict(conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_name = 'alert_history'"
        ).fetchall())
    assert found == COLUMNS


def test_alertmanager_delivers_firing_then_resolved(
    history_alertmanager: AlertmanagerServer, database: str
) -> None:
    service = f"svc-{uuid.uuid4().hex[:8]}"
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=3)
    alert = {
        "labels": {"alertname": Alert.JOB_FAILED.value, "severity": "warning",
                   "service": service, "job_type": "matching", "error_class": "permanent"},
        "annotations": {"summary": "Job matching failed", "description": "ValueError",
                        "runbook_url": "https://runbooks.example.test/JobFailed.md",
                        "dashboard_url": "https://grafana.example.test/d/jobs"},
        "startsAt": started.isoformat(),
    }
    history_alertmanager.post_alerts([alert])
    firing = wait_for(lambda: rows(database, service), what="the firing row")
    assert len(firing) == 1
    row = firing[0]
    assert (row["alertname"], row["status"], row["severity"]) == ("JobFailed", "firing", "warning")
    assert row["starts_at"] == started and row["ends_at"] is None
    assert row["labels"] == alert["labels"]
    assert row["annotations"] == alert["annotations"]
    assert row["receiver"] == "history"
    group = f'{{alertname="JobFailed", job_type="matching", service="{service}"}}'
    assert row["group_key"].endswith(group)
    assert len(row["fingerprint"]) == 16

    ended = datetime.now(UTC).replace(microsecond=0)
    history_alertmanager.post_alerts([{**alert, "endsAt": ended.isoformat()}])
    both = wait_for(lambda: r if len(r := rows(database, service)) == 2 else None,
                    what="the resolved row")
    resolved = both[1]
    assert resolved["status"] == "resolved"
    assert resolved["fingerprint"] == row["fingerprint"]
    assert resolved["starts_at"] == started and resolved["ends_at"] == ended


def test_repeated_delivery_is_stored_once(receiver: Receiver, database: str) -> None:
    service = f"svc-{uuid.uuid4().hex[:8]}"
    body = payload(service, fingerprint="f1")
    first = httpx.post(f"{receiver.url}/alerts", json=body)
    again = httpx.post(f"{receiver.url}/alerts", json=body)
    # A re-sent firing alert carries a new validity horizon as endsAt: still the same event.
    moved = payload(service, fingerprint="f1", ends_at="2026-11-24T11:04:00Z")
    third = httpx.post(f"{receiver.url}/alerts", json=moved)
    assert [r.json() for r in (first, again, third)] == [
        {"received": 1, "stored": 1}, {"received": 1, "stored": 0}, {"received": 1, "stored": 0},
    ]
    resolved = payload(service, "resolved", fingerprint="f1", ends_at="2026-11-24T11:00:00Z")
    assert httpx.post(f"{receiver.url}/alerts", json=resolved).json()["stored"] == 1
    assert httpx.post(f"{receiver.url}/alerts", json=resolved).json()["stored"] == 0
    stored = rows(database, service)
    assert [(r["status"], r["ends_at"]) for r in stored] == [
        ("firing", None), ("resolved", datetime(2026, 11, 24, 11, tzinfo=UTC)),
    ]
    # Go's nanoseconds, cut to the microseconds PostgreSQL keeps.
    assert stored[0]["starts_at"] == datetime(2026, 11, 24, 10, 0, 0, 123456, tzinfo=UTC)


SECRET = "hunter2-s3cr3t"


def _bad(change: Any) -> bytes:
    body = payload("svc-bad")
    change(body)
    return json.dumps(body).encode()


BAD_BODIES = {
    "not json": f"password={SECRET}".encode(),
    "not an object": b"[1, 2]",
    "wrong version": _bad(lambda b: b.update(version="3")),
    "no alerts": _bad(lambda b: b.update(alerts=[])),
    "bad status": _bad(lambda b: b["alerts"][0].update(status=SECRET)),
    "label not a string": _bad(lambda b: b["alerts"][0]["labels"].update(password=[SECRET])),
    "no alertname": _bad(lambda b: b["alerts"][0]["labels"].pop("alertname")),
    "bad time": _bad(lambda b: b["alerts"][0].update(startsAt=f"yesterday {SECRET}")),
    "resolved without end": _bad(lambda b: b["alerts"][0].update(status="resolved")),
    "no fingerprint": _bad(lambda b: b["alerts"][0].pop("fingerprint")),
    "NUL in a label": _bad(lambda b: b["alerts"][0]["labels"].update(x="a\x00b")),
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_bad_payload_is_refused_with_400_and_logged_scrubbed(
    case: str, receiver: Receiver, database: str
) -> None:
    before = receiver.log().count("refused a payload")
    response = httpx.post(f"{receiver.url}/alerts", content=BAD_BODIES[case],
                          headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert SECRET not in response.text
    wait_for(lambda: receiver.log().count("refused a payload") > before, what="the log line")
    assert SECRET not in receiver.log()
    assert rows(database, "svc-bad") == []


def test_database_outage_answers_503_and_the_retry_is_stored(
    receiver: Receiver, database: str, postgres_server: postgres.PostgresServer
) -> None:
    service = f"svc-{uuid.uuid4().hex[:8]}"
    body = payload(service)
    postgres_server.stop()
    try:
        response = httpx.post(f"{receiver.url}/alerts", json=body, timeout=30)
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "10"
    finally:
        postgres_server.start()
    def deliver() -> httpx.Response | None:
        response = httpx.post(f"{receiver.url}/alerts", json=body, timeout=30)
        return response if response.status_code == 200 else None

    retried = wait_for(deliver, timeout=60, what="the retry to succeed")
    assert retried.json() == {"received": 1, "stored": 1}
    assert len(rows(database, service)) == 1
    assert "database unavailable" in receiver.log()


def test_receiver_is_instrumented_by_signalpost(receiver: Receiver) -> None:
    httpx.post(f"{receiver.url}/alerts", content=b"{}")
    stored = httpx.post(f"{receiver.url}/alerts", json=payload(f"svc-{uuid.uuid4().hex[:8]}"))
    assert stored.json()["stored"] == 1
    metrics = httpx.get(f"{receiver.url}/metrics").text
    assert 'http_route="/alerts"' in metrics
    # The INSERT is timed by Signalpost's database instrumentation.
    assert re.search(r'db_client_operation_duration_seconds_count\{db_collection_name="alert_history",'
                     r'db_operation_name="INSERT",[^}]*\} [1-9]', metrics)
    health = httpx.get(f"{receiver.url}/health/ready")
    assert health.status_code == 200


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                 max_size=4),
    max_leaves=20,
)


@settings(max_examples=100, deadline=None)
@given(value=json_values, alert=st.dictionaries(
    st.sampled_from(["status", "labels", "annotations", "startsAt", "endsAt", "fingerprint"]),
    json_values))
def test_parser_accepts_or_refuses_but_never_crashes(value: Any, alert: dict[str, Any]) -> None:
    for body in (value, {**payload("p"), "alerts": [alert]}, {**payload("p"), "alerts": value}):
        try:
            records = parse_payload(json.dumps(body).encode())
        except PayloadError:
            continue
        assert all(r.status in ("firing", "resolved") for r in records)


def test_alertmanager_retries_through_a_database_outage(
    history_alertmanager: AlertmanagerServer, receiver: Receiver, database: str,
    postgres_server: postgres.PostgresServer,
) -> None:
    """Never a lost row: the receiver answers 503 while PostgreSQL is down, Alertmanager
    delivers again, and the row is there once the database is back."""
    service = f"svc-{uuid.uuid4().hex[:8]}"
    refusals = receiver.log().count("database unavailable")
    postgres_server.stop()
    try:
        history_alertmanager.post_alerts([{
            "labels": {"alertname": Alert.DATABASE_DOWN.value, "severity": "critical",
                       "service": service},
            "annotations": {"summary": "PostgreSQL is down"},
        }])
        wait_for(lambda: receiver.log().count("database unavailable") > refusals, timeout=60,
                 what="Alertmanager's delivery to be refused with 503")
    finally:
        postgres_server.start()
    stored = wait_for(lambda: rows(database, service), timeout=120, what="the retried delivery")
    assert [(r["alertname"], r["status"]) for r in stored] == [("DatabaseDown", "firing")]
