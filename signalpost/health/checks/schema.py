"""Compares the live PostgreSQL catalog with the schema declared in YAML.

Every missing table, column, index or foreign key, and every column whose type or
nullability differs, becomes one line of the report naming the object precisely, e.g.
``column public.users.email: type is text, expected character varying(255) (schema.yaml:9)``.
Objects present in the database but not declared are ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from signalpost._extras import missing_extra
from signalpost.health.checks.schema_catalog import (
    Catalog,
    LiveForeignKey,
    LiveIndex,
    read_catalog,
)
from signalpost.health.checks.schema_spec import (
    ExpectedSchema,
    ExpectedTable,
    load_schema,
)
from signalpost.health.checks.settings import BuiltinCheck, CheckSettings
from signalpost.health.result import CheckResult, Status

try:
    import psycopg
    from psycopg_pool import AsyncConnectionPool
except ImportError as _error:  # the 'postgres' extra is not installed
    raise missing_extra("postgres", _error) from _error

__all__ = ["SchemaCheck", "compare"]


def _cols(columns: tuple[str, ...]) -> str:
    return f"({', '.join(columns)})"


def compare(expected: ExpectedSchema, catalog: Catalog) -> list[str]:
    """Return one line per difference between ``expected`` and ``catalog`` (empty if none)."""
    problems: list[str] = []
    for table in expected.tables:
        problems.extend(_compare_table(table, catalog, expected.source))
    return problems


def _compare_table(table: ExpectedTable, catalog: Catalog, source: str) -> list[str]:
    key = (table.schema, table.name)
    if key not in catalog.tables:
        return [f"table {table.qualified_name}: missing ({source}:{table.line})"]
    return [
        *_compare_columns(table, catalog.columns.get(key, {}), source),
        *_compare_indexes(table, catalog.indexes.get(key, []), source),
        *_compare_foreign_keys(table, catalog.foreign_keys.get(key, []), source),
    ]


def _compare_columns(
    table: ExpectedTable, live_columns: dict[str, tuple[str, bool]], source: str
) -> list[str]:
    qualified = table.qualified_name
    problems: list[str] = []
    for column in table.columns:
        where = f"({source}:{column.line})"
        found = live_columns.get(column.name)
        if found is None:
            problems.append(f"column {qualified}.{column.name}: missing {where}")
            continue
        type_name, nullable = found
        if column.type is not None and type_name != column.type:
            problems.append(
                f"column {qualified}.{column.name}: type is {type_name}, "
                f"expected {column.type} {where}"
            )
        if column.nullable is not None and nullable != column.nullable:
            actual, wanted = ("nullable", "NOT NULL") if nullable else ("NOT NULL", "nullable")
            problems.append(
                f"column {qualified}.{column.name}: {actual}, expected {wanted} {where}"
            )
    return problems


def _compare_indexes(
    table: ExpectedTable, live_indexes: list[LiveIndex], source: str
) -> list[str]:
    qualified = table.qualified_name
    problems: list[str] = []
    for index in table.indexes:
        where = f"({source}:{index.line})"
        if index.name is not None:
            label = f"index {index.name} on {qualified}"
            match = next((i for i in live_indexes if i.name == index.name), None)
        else:
            wanted_columns = index.columns or ()
            label = f"index on {qualified} {_cols(wanted_columns)}"
            candidates = [i for i in live_indexes if i.columns == wanted_columns]
            preferred = [i for i in candidates if index.unique is None or i.unique == index.unique]
            pool = preferred or candidates
            match = pool[0] if pool else None
        if match is None:
            problems.append(f"{label}: missing {where}")
            continue
        if index.columns is not None and match.columns != index.columns:
            problems.append(
                f"{label}: columns are {_cols(match.columns)}, expected {_cols(index.columns)} "
                f"{where}"
            )
        if index.unique is not None and match.unique != index.unique:
            actual = "unique" if match.unique else "not unique"
            wanted = "unique" if index.unique else "not unique"
            problems.append(f"{label}: {actual}, expected {wanted} {where}")
    return problems


def _compare_foreign_keys(
    table: ExpectedTable, live_fks: list[LiveForeignKey], source: str
) -> list[str]:
    qualified = table.qualified_name
    problems: list[str] = []
    for fk in table.foreign_keys:
        where = f"({source}:{fk.line})"
        ref = f"{fk.ref_schema}.{fk.ref_table}"
        target = f"{ref} {_cols(fk.ref_columns)}" if fk.ref_columns else ref
        if fk.name is not None:
            label = f"foreign key {fk.name} on {qualified}"
            found_fk = next((f for f in live_fks if f.name == fk.name), None)
        else:
            label = f"foreign key {qualified} {_cols(fk.columns)} -> {target}"
            found_fk = next(
                (
                    f
                    for f in live_fks
                    if f.columns == fk.columns
                    and f.ref == (fk.ref_schema, fk.ref_table)
                    and (fk.ref_columns is None or f.ref_columns == fk.ref_columns)
                ),
                None,
            )
        if found_fk is None:
            problems.append(f"{label}: missing {where}")
            continue
        live_target = f"{found_fk.ref[0]}.{found_fk.ref[1]} {_cols(found_fk.ref_columns)}"
        if (
            found_fk.columns != fk.columns
            or found_fk.ref != (fk.ref_schema, fk.ref_table)
            or (fk.ref_columns is not None and found_fk.ref_columns != fk.ref_columns)
        ):
            problems.append(
                f"{label}: is {_cols(found_fk.columns)} -> {live_target}, "
                f"expected {_cols(fk.columns)} -> {target} {where}"
            )
    return problems


class SchemaCheck(BuiltinCheck):
    """Validates the live schema against a YAML declaration (parsed once, at construction).

    Args:
        expected: The declaration: a path to the YAML file or an :class:`ExpectedSchema`.
        conninfo: libpq connection string (a connection per run). Ignored with ``pool``.
        pool: An open :class:`psycopg_pool.AsyncConnectionPool` to borrow from instead.
        settings: Name (default ``schema``), whether readiness depends on it (default false:
            a schema drift needs a person or a migration, and taking every replica out of
            service rarely helps), timeout (10 s) and interval (300 s: the catalog changes
            rarely).
        mismatch_status: Status reported when differences are found.
        unreachable_status: Status reported when the catalog cannot be read (the database is
            down or unreachable): the schema is unknown, not invalid, so by default the check
            is degraded and only a real mismatch fires SchemaInvalid (DatabaseDown reports the
            outage).
        **deprecated: The keywords that came before ``settings=`` (``name``, ``critical``,
            ``timeout``, ``interval``): they work for one release, with a
            :class:`DeprecationWarning`.

    Raises:
        SchemaSpecError: The YAML file is invalid (names file, line and key).
    """

    DEFAULTS = CheckSettings(name="schema", critical=False, timeout=10.0, interval=300.0)

    def __init__(
        self,
        expected: ExpectedSchema | str | Path,
        conninfo: str = "",
        *,
        pool: AsyncConnectionPool[Any] | None = None,
        settings: CheckSettings | None = None,
        mismatch_status: Status = Status.UNHEALTHY,
        unreachable_status: Status = Status.DEGRADED,
        **deprecated: Any,
    ) -> None:
        self._settle(settings, deprecated)
        if not conninfo and pool is None:
            raise ValueError("SchemaCheck needs a conninfo or a pool")
        self.expected = expected if isinstance(expected, ExpectedSchema) else load_schema(expected)
        self.conninfo = conninfo
        self.pool = pool
        self.mismatch_status = mismatch_status
        self.unreachable_status = unreachable_status
        self._schemas = sorted(
            {t.schema for t in self.expected.tables}
            | {fk.ref_schema for t in self.expected.tables for fk in t.foreign_keys}
        )

    async def run(self) -> CheckResult:
        """Read the catalog and compare."""
        try:
            catalog = await self._catalog()
        except psycopg.OperationalError as exc:  # includes the pool's PoolTimeout
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            unknown: dict[str, Any] = {
                "source": self.expected.source,
                "tables": len(self.expected.tables),
                "compared": False,
            }
            return CheckResult(self.unreachable_status, unknown, f"schema not compared: {reason}")
        problems = compare(self.expected, catalog)
        details = {
            "source": self.expected.source,
            "tables": len(self.expected.tables),
            "problems": problems,
        }
        if problems:
            noun = "difference" if len(problems) == 1 else "differences"
            summary = f"{len(problems)} schema {noun}: {problems[0]}"
            return CheckResult(self.mismatch_status, details, summary)
        return CheckResult.healthy(**details)

    async def _catalog(self) -> Catalog:
        if self.pool is not None:
            async with self.pool.connection(timeout=self.timeout) as conn:
                return await read_catalog(conn, self._schemas)
        conn = await psycopg.AsyncConnection.connect(
            self.conninfo, connect_timeout=max(1, round(self.timeout)), autocommit=True
        )
        async with conn:
            return await read_catalog(conn, self._schemas)
