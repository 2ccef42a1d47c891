"""Schema validation: the YAML declaration and its comparison with the live catalog."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st
from psycopg_pool import AsyncConnectionPool

from signalpost.health import CheckSettings, HealthMonitor, SchemaCheck, Status
from signalpost.health.checks import SchemaSpecError, parse_schema
from signalpost.health.checks.schema_spec import load_schema, normalize_type
from tests.servers import free_port

DDL = """
CREATE TABLE orgs (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE users (
    id bigserial PRIMARY KEY,
    org_id bigint NOT NULL REFERENCES orgs (id),
    email varchar(255) NOT NULL,
    nickname text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE INDEX users_org_created ON users (org_id, created_at);
"""

SPEC = """\
schema: {schema}
tables:
  orgs:
    columns:
      id: {{type: int8, nullable: false}}
      name: text
  users:
    columns:
      id: {{type: bigint, nullable: false}}
      org_id: {{type: bigint, nullable: false}}
      email: {{type: varchar(255), nullable: false}}
      nickname: {{type: text, nullable: true}}
      created_at: {{type: timestamptz, nullable: false}}
    indexes:
      - name: users_email_key
        unique: true
      - columns: [org_id, created_at]
        unique: false
    foreign_keys:
      - columns: [org_id]
        references: {{table: orgs, columns: [id]}}
"""


@pytest.fixture
def database(schema_dsn: tuple[str, str], tmp_path: Path) -> tuple[str, Path]:
    dsn, schema = schema_dsn
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(DDL)
    spec = tmp_path / "schema.yaml"
    spec.write_text(SPEC.format(schema=schema))
    return dsn, spec


def alter(dsn: str, statement: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(statement)


async def problems_of(dsn: str, spec: Path) -> list[str]:
    result = await SchemaCheck(spec, dsn).run()
    problems: list[str] = result.details["problems"]
    assert (result.status is Status.HEALTHY) == (not problems)
    return problems


async def test_matching_schema_is_healthy(database: tuple[str, Path]) -> None:
    dsn, spec = database
    result = await SchemaCheck(spec, dsn).run()
    assert result.status is Status.HEALTHY, result.details
    assert result.details["tables"] == 2


async def test_dropped_table_is_named(
    database: tuple[str, Path], schema_dsn: tuple[str, str]
) -> None:
    dsn, spec = database
    schema = schema_dsn[1]
    alter(dsn, "DROP TABLE users")
    assert await problems_of(dsn, spec) == [f"table {schema}.users: missing ({spec}:7)"]


async def test_altered_columns_are_named(
    database: tuple[str, Path], schema_dsn: tuple[str, str]
) -> None:
    dsn, spec = database
    schema = schema_dsn[1]
    alter(dsn, "ALTER TABLE users ALTER COLUMN email TYPE text")
    alter(dsn, "ALTER TABLE users ALTER COLUMN nickname SET NOT NULL")
    alter(dsn, "ALTER TABLE users DROP COLUMN created_at CASCADE")
    result = await SchemaCheck(spec, dsn).run()
    assert result.status is Status.UNHEALTHY
    assert result.details["problems"] == [
        f"column {schema}.users.email: type is text, expected character varying(255) ({spec}:11)",
        f"column {schema}.users.nickname: NOT NULL, expected nullable ({spec}:12)",
        f"column {schema}.users.created_at: missing ({spec}:13)",
        f"index on {schema}.users (org_id, created_at): missing ({spec}:17)",
    ]
    assert result.error is not None and result.error.startswith("4 schema differences: column")


async def test_indexes_and_foreign_keys_are_named(
    database: tuple[str, Path], schema_dsn: tuple[str, str]
) -> None:
    dsn, spec = database
    schema = schema_dsn[1]
    alter(dsn, "DROP INDEX users_email_key")
    alter(dsn, "CREATE INDEX users_email_key ON users (email, id)")
    alter(dsn, "ALTER TABLE users DROP CONSTRAINT users_org_id_fkey")
    assert await problems_of(dsn, spec) == [
        f"index users_email_key on {schema}.users: not unique, expected unique ({spec}:15)",
        f"foreign key {schema}.users (org_id) -> {schema}.orgs (id): missing ({spec}:20)",
    ]


async def test_schema_check_in_a_monitor_reports_problems(
    database: tuple[str, Path], make_monitor: Callable[..., HealthMonitor]
) -> None:
    dsn, spec = database
    alter(dsn, "ALTER TABLE orgs ALTER COLUMN name TYPE varchar(10)")
    monitor = make_monitor()
    monitor.add(SchemaCheck(spec, dsn))
    report = await monitor.run_once()
    state = report.component("schema")
    assert state.status is Status.UNHEALTHY
    assert "orgs.name" in (state.error or "")
    assert report.ready  # schema check is not critical by default


async def test_unreachable_database_leaves_the_schema_unknown_not_invalid(
    database: tuple[str, Path], make_monitor: Callable[..., HealthMonitor]
) -> None:
    """A database outage fired SchemaInvalid beside DatabaseDown: without a catalog to read,
    the check is degraded ("not compared"), and only a real mismatch makes it unhealthy."""
    _, spec = database
    nowhere = f"host=127.0.0.1 port={free_port()} dbname=x user=x connect_timeout=1"
    result = await SchemaCheck(spec, nowhere, settings=CheckSettings(timeout=1)).run()
    assert result.status is Status.DEGRADED
    assert result.details == {"source": str(spec), "tables": 2, "compared": False}
    assert result.error is not None and result.error.startswith("schema not compared: ")
    assert "problems" not in result.details

    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(nowhere, open=False, min_size=1)
    await pool.open(wait=False)
    try:
        from_pool = await SchemaCheck(spec, settings=CheckSettings(timeout=1), pool=pool).run()
    finally:
        await pool.close()
    assert from_pool.status is Status.DEGRADED, from_pool.error

    monitor = make_monitor()
    monitor.add(SchemaCheck(spec, nowhere, settings=CheckSettings(timeout=1)))
    state = (await monitor.run_once()).component("schema")
    assert state.status is Status.DEGRADED


async def test_a_real_mismatch_is_still_unhealthy_with_its_own_status(
    database: tuple[str, Path],
) -> None:
    dsn, spec = database
    alter(dsn, "DROP TABLE users")
    check = SchemaCheck(spec, dsn, mismatch_status=Status.DEGRADED,
                        unreachable_status=Status.UNHEALTHY)
    assert (await check.run()).status is Status.DEGRADED


@pytest.mark.parametrize(
    ("text", "line", "key", "message"),
    [
        ("tables: [a, b]\n", 1, "tables", "expected a mapping, got a list"),
        ("tables:\n  users:\n    colums: {}\n", 3, "tables.users.colums", "unknown key"),
        (
            "tables:\n  users:\n    columns:\n      id: {type: int, nullable: maybe}\n",
            4, "tables.users.columns.id.nullable", "expected true or false, got 'maybe'",
        ),
        (
            "tables:\n  users:\n    columns:\n      id: {type: [int]}\n",
            4, "tables.users.columns.id.type", "expected a non-empty string, got a list",
        ),
        (
            "tables:\n  t:\n    foreign_keys:\n      - columns: [a]\n        references: {columns: [b]}\n",
            5, "tables.t.foreign_keys[0].references.table", "required",
        ),
        ("tables:\n  t:\n    indexes:\n      - unique: true\n", 4, "tables.t.indexes[0]",
         "an index needs a name or columns"),
        ("tables:\n  users: {}\n  users: {}\n", 3, "tables.users",
         "expected each key once (first given at line 2)"),
        ("tables:\n  users:\n    columns: {id: int\n", 4, "", "invalid YAML"),
        ("schema: public\n", 1, "tables", "required"),
    ],
)
def test_broken_yaml_names_file_line_and_key(
    text: str, line: int, key: str, message: str
) -> None:
    with pytest.raises(SchemaSpecError) as caught:
        parse_schema(text, "db/schema.yaml")
    error = caught.value
    assert (error.source, error.line, error.key) == ("db/schema.yaml", line, key)
    assert str(error).startswith(f"db/schema.yaml:{line}: {key or '(top level)'}: {message}")


def test_alias_bomb_and_non_utf8_are_refused_with_file_and_line(tmp_path: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{n}: &{n} [" + ", ".join([f"*{p}"] * 9) + "]\n"
        for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    )
    with pytest.raises(SchemaSpecError) as caught:
        parse_schema(bomb, "db/schema.yaml")
    assert str(caught.value) == (
        "db/schema.yaml:5: e: expected a document of at most 10000 values"
        " (YAML aliases expand to more)"
    )
    latin1 = tmp_path / "schema.yaml"
    latin1.write_bytes(b"tables:\n  caf\xe9: {}\n")
    with pytest.raises(SchemaSpecError) as caught:
        load_schema(latin1)
    assert str(caught.value) == (
        f"{latin1}:2: (top level): expected UTF-8 text, got byte 0xe9 at offset 13"
    )


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SchemaSpecError, match=r"missing\.yaml: .*cannot read"):
        SchemaCheck(tmp_path / "missing.yaml", "host=unused")


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("INT", "integer"),
        ("int8", "bigint"),
        ("serial", "integer"),
        ("varchar(20)", "character varying(20)"),
        ("varchar", "character varying"),
        ("numeric( 10 , 2 )", "numeric(10,2)"),
        ("timestamptz", "timestamp with time zone"),
        ("timestamptz(3)", "timestamp(3) with time zone"),
        ("float8", "double precision"),
        ("bool", "boolean"),
        ("int[]", "integer[]"),
        ("jsonb", "jsonb"),
        ("character varying(5)", "character varying(5)"),
    ],
)
def test_type_aliases_normalise_to_format_type(alias: str, canonical: str) -> None:
    assert normalize_type(alias) == canonical


@given(st.text(max_size=200))
def test_any_text_parses_or_raises_schema_spec_error(text: str) -> None:
    try:
        parse_schema(text)
    except SchemaSpecError as error:
        assert str(error).startswith("<string>")
