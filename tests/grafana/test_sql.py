"""The alert-history panels' SQL, run by a real PostgreSQL on the history receiver's table
(``alert_history``, from its migration), with Grafana's macros expanded as its plugin does.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from tests import postgres
from tests.grafana.dashboards import queries, substitute

pytestmark = pytest.mark.slow

SERVICE = "signalpost-example"
# The history receiver's own migration: the table the panels read is the one it writes.
MIGRATIONS = Path(__file__).resolve().parents[2] / "alertmanager" / "history" / "migrations"
DDL = "\n".join(path.read_text() for path in sorted(MIGRATIONS.glob("*.sql")))
SQL = queries("grafana-postgresql-datasource")


@pytest.fixture(scope="module")
def dsn() -> Iterator[str]:
    server = postgres.acquire()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(server.conninfo, autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        dsn = f"{server.conninfo} options='-c search_path={schema}'"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(DDL.encode())
            now = datetime.now(UTC)
            rows = []
            for day in range(3):
                start = now - timedelta(days=day, hours=2)
                for name, severity in (("JobStuck", "warning"), ("ServiceDown", "critical")):
                    fingerprint = f"{name}-{day}"
                    annotations = json.dumps(
                        {"summary": f"{name} on day {day}", "runbook_url": f"https://rb/{name}.md"}
                    )
                    labels = json.dumps({"alertname": name, "severity": severity})
                    for status, end in (
                        ("firing", None),
                        ("resolved", start + timedelta(minutes=9)),
                    ):
                        rows.append(
                            (
                                fingerprint,
                                name,
                                status,
                                severity,
                                SERVICE,
                                start,
                                end,
                                labels,
                                annotations,
                                "history",
                                "{}:{}",
                            )
                        )
            with conn.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO alert_history (fingerprint, alertname, status, severity, service,"
                    " starts_at, ends_at, labels, annotations, receiver, group_key)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    rows,
                )
                # The recovery runner's decisions about the first JobStuck alert.
                cursor.executemany(
                    "INSERT INTO recovery_actions (fingerprint, alertname, service, starts_at,"
                    " labels, rule, procedure, target, decision, detail, seconds)"
                    " VALUES ('JobStuck-0', 'JobStuck', %s, now() - interval '2 hours', '{}',"
                    " 'stuck-jobs', 'cancel_stuck_jobs', 'service=x', %s, %s, %s)",
                    [(SERVICE, "acted", "cancelled 1 run", 2.5),
                     (SERVICE, "verified", "resolved", 41.0),
                     ("another-service", "skipped", "rate limit per target", None)],
                )
        yield dsn
    finally:
        with psycopg.connect(server.conninfo, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
            )
        postgres.release()


def expand(text: str) -> str:
    """Grafana's ``$__timeFilter(column)`` over the last 7 days, then the dashboard variables."""
    text = re.sub(
        r"\$__timeFilter\((\w+)\)",
        r"\1 BETWEEN now() - interval '7 days' AND now()",
        text,
    )
    return substitute(text, {"service": SERVICE})


def test_the_alerts_dashboard_has_its_history_queries() -> None:
    assert {query.panel for query in SQL} == {
        "Alerts per day by name and severity",
        "Time to resolve",
        "Latest 50 alerts",
        "Recovery decisions",
    }


@pytest.mark.parametrize("query", SQL, ids=lambda query: query.panel)
def test_history_query_runs_and_returns_rows(dsn: str, query) -> None:
    with psycopg.connect(dsn) as conn, conn.cursor() as cursor:
        cursor.execute(expand(query.text).encode())
        assert cursor.description is not None
        columns = [column.name for column in cursor.description]
        rows = cursor.fetchall()
    assert rows, query.panel
    if query.target["format"] == "time_series":
        assert columns == ["time", "metric", "value"]
        assert {row[2] for row in rows} == {1}  # firing and resolved rows: one alert
    if query.panel == "Time to resolve":
        assert {round(row[3]) for row in rows} == {540}
    if query.panel == "Latest 50 alerts":
        assert "runbook_url" in columns
        assert len(rows) == 6  # one row per alert, its latest notification
    if query.panel == "Recovery decisions":  # this service's decisions, latest first
        assert [(row[4], row[6]) for row in rows] == [("verified", 41.0), ("acted", 2.5)]
