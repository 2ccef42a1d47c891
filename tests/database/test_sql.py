"""The cheap SQL reading behind db.operation.name, db.collection.name and db.query.text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signalpost.database.sql import KNOWN_OPERATIONS, sanitize, summarize


@pytest.mark.parametrize(
    ("statement", "operation", "collection"),
    [
        ("SELECT * FROM users WHERE id = %s", "SELECT", "users"),
        ("select a.id from Public.Users a join orgs o on o.id = a.org", "SELECT", "public.users"),
        ('SELECT 1 FROM "Mixed"."Case Table"', "SELECT", "Mixed.Case Table"),
        ("SELECT (SELECT max(x) FROM inner_t) FROM outer_t", "SELECT", "outer_t"),
        ("SELECT 1", "SELECT", None),
        ("  -- comment\n/* block */ INSERT INTO audit (a) VALUES ($1)", "INSERT", "audit"),
        ("UPDATE ONLY accounts SET x = 1", "UPDATE", "accounts"),
        ("DELETE FROM sessions WHERE expires < now()", "DELETE", "sessions"),
        ("WITH recent AS (SELECT * FROM orders) SELECT * FROM recent", "SELECT", "recent"),
        ("WITH gone AS (DELETE FROM a RETURNING *) INSERT INTO b SELECT * FROM gone", "INSERT",
         "b"),
        ("CREATE TABLE IF NOT EXISTS jobs (id int)", "CREATE", "jobs"),
        ("CREATE UNIQUE INDEX CONCURRENTLY ix ON jobs (id)", "CREATE", "jobs"),
        ("DROP TABLE IF EXISTS jobs", "DROP", "jobs"),
        ("ALTER TABLE jobs ADD COLUMN x int", "ALTER", "jobs"),
        ("TRUNCATE TABLE jobs", "TRUNCATE", "jobs"),
        ("COPY jobs FROM STDIN", "COPY", "jobs"),
        ("BEGIN", "BEGIN", None),
        ("commit", "COMMIT", None),
        ("SELECT 'FROM fake' AS x", "SELECT", None),
        ("frobnicate the database", "_OTHER", None),
        ("", "_OTHER", None),
        ("(SELECT 1)", "_OTHER", None),
    ],
)
def test_summarize(statement: str, operation: str, collection: str | None) -> None:
    summary = summarize(statement)
    assert (summary.operation, summary.collection) == (operation, collection)


def test_sanitize_removes_literals_keeps_placeholders() -> None:
    text = "SELECT * FROM t WHERE a = 'x''y' AND b = 42 AND c = %s AND d = $1 AND e = $$z$$ -- c"
    assert sanitize(text) == "SELECT * FROM t WHERE a = ? AND b = ? AND c = %s AND d = $1 AND e = ?"
    assert 90 < len(sanitize("SELECT " + "x, " * 5000, limit=100)) <= 100


@given(st.text(max_size=300))
def test_summarize_never_fails_and_stays_bounded(statement: str) -> None:
    summary = summarize(statement)
    assert summary.operation in KNOWN_OPERATIONS | {"_OTHER"}
    assert summary.collection is None or 0 < len(summary.collection) <= 128
    sanitize(statement)


@given(st.integers(min_value=0), st.text(alphabet="abcdefghij xyz", min_size=1, max_size=30))
def test_sanitize_never_leaks_literals(number: int, secret: str) -> None:
    escaped = secret.replace("'", "''")
    text = sanitize(f"INSERT INTO t VALUES ({number}, '{escaped}')")
    assert text == "INSERT INTO t VALUES (?, ?)"
