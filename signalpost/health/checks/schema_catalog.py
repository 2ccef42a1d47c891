"""Reading the live PostgreSQL catalog: the tables, columns, indexes and foreign keys of some
schemas, in the shape :func:`signalpost.health.checks.schema.compare` needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from signalpost._extras import missing_extra

try:
    import psycopg
except ImportError as _error:  # the 'postgres' extra is not installed
    raise missing_extra("postgres", _error) from _error

__all__ = ["Catalog", "LiveForeignKey", "LiveIndex", "TableKey", "read_catalog"]

_TABLES = """
SELECT n.nspname, c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname = ANY(%(schemas)s)
"""
_COLUMNS = """
SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE a.attnum > 0 AND NOT a.attisdropped
  AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname = ANY(%(schemas)s)
"""
_INDEXES = """
SELECT n.nspname, t.relname, i.relname, x.indisunique,
       ARRAY(SELECT coalesce(a.attname, '(expression)')
             FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
             LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
             WHERE k.ord <= x.indnkeyatts ORDER BY k.ord)
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = ANY(%(schemas)s)
"""
_FOREIGN_KEYS = """
SELECT n.nspname, t.relname, con.conname,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
             ORDER BY k.ord),
       rn.nspname, r.relname,
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
             ORDER BY k.ord)
FROM pg_constraint con
JOIN pg_class t ON t.oid = con.conrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
JOIN pg_class r ON r.oid = con.confrelid
JOIN pg_namespace rn ON rn.oid = r.relnamespace
WHERE con.contype = 'f' AND n.nspname = ANY(%(schemas)s)
"""

TableKey = tuple[str, str]
"""(schema, table)."""


@dataclass(frozen=True, slots=True)
class LiveIndex:
    """An index of the live catalog: its name, uniqueness and key columns in order."""

    name: str
    unique: bool
    columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LiveForeignKey:
    """A foreign key of the live catalog: its columns and the table and columns it references."""

    name: str
    columns: tuple[str, ...]
    ref: TableKey
    ref_columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Catalog:
    """The parts of the live catalog the comparison needs, keyed by (schema, table)."""

    tables: frozenset[TableKey]
    columns: dict[TableKey, dict[str, tuple[str, bool]]]
    indexes: dict[TableKey, list[LiveIndex]]
    foreign_keys: dict[TableKey, list[LiveForeignKey]]


async def read_catalog(conn: psycopg.AsyncConnection[Any], schemas: list[str]) -> Catalog:
    """Read tables, columns, indexes and foreign keys of ``schemas`` (four catalog queries)."""
    params = {"schemas": schemas}
    cur = conn.cursor()
    await cur.execute(_TABLES, params)
    tables = frozenset((row[0], row[1]) for row in await cur.fetchall())
    columns: dict[TableKey, dict[str, tuple[str, bool]]] = {}
    await cur.execute(_COLUMNS, params)
    for schema, table, column, type_name, nullable in await cur.fetchall():
        columns.setdefault((schema, table), {})[column] = (type_name, nullable)
    indexes: dict[TableKey, list[LiveIndex]] = {}
    await cur.execute(_INDEXES, params)
    for schema, table, name, unique, index_columns in await cur.fetchall():
        indexes.setdefault((schema, table), []).append(
            LiveIndex(name, unique, tuple(index_columns))
        )
    foreign_keys: dict[TableKey, list[LiveForeignKey]] = {}
    await cur.execute(_FOREIGN_KEYS, params)
    for schema, table, name, fk_columns, ref_schema, ref_table, ref_columns in await cur.fetchall():
        foreign_keys.setdefault((schema, table), []).append(
            LiveForeignKey(name, tuple(fk_columns), (ref_schema, ref_table), tuple(ref_columns))
        )
    await cur.close()
    return Catalog(tables, columns, indexes, foreign_keys)
