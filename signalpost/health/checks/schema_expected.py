"""The expected database schema as parsed from its YAML declaration
(:func:`signalpost.health.checks.schema_spec.load_schema`): tables with their
columns, indexes and foreign keys, each with the line it was declared on."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ExpectedColumn",
    "ExpectedForeignKey",
    "ExpectedIndex",
    "ExpectedSchema",
    "ExpectedTable",
]


@dataclass(frozen=True, slots=True)
class ExpectedColumn:
    """One expected column: ``type`` and ``nullable`` are checked when given."""

    name: str
    type: str | None
    nullable: bool | None
    line: int


@dataclass(frozen=True, slots=True)
class ExpectedIndex:
    """One expected index, by ``name`` or by ``columns`` (key columns, in order)."""

    name: str | None
    columns: tuple[str, ...] | None
    unique: bool | None
    line: int


@dataclass(frozen=True, slots=True)
class ExpectedForeignKey:
    """One expected foreign key from ``columns`` to ``table`` (``columns`` there)."""

    name: str | None
    columns: tuple[str, ...]
    ref_schema: str
    ref_table: str
    ref_columns: tuple[str, ...] | None
    line: int


@dataclass(frozen=True, slots=True)
class ExpectedTable:
    """One expected table (or view) with its columns, indexes and foreign keys."""

    schema: str
    name: str
    columns: tuple[ExpectedColumn, ...]
    indexes: tuple[ExpectedIndex, ...]
    foreign_keys: tuple[ExpectedForeignKey, ...]
    line: int

    @property
    def qualified_name(self) -> str:
        """``schema.table``."""
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True, slots=True)
class ExpectedSchema:
    """Every expected table, and where the declaration came from."""

    tables: tuple[ExpectedTable, ...]
    source: str
