"""The expected database schema, declared in YAML and validated with file, line and key.

Format (every key but ``tables`` optional)::

    schema: public                     # default schema for unqualified table names
    tables:
      users:
        columns:
          id: {type: bigint, nullable: false}
          email: {type: varchar(255), nullable: false}
          nickname: text               # shorthand: the type only, nullability not checked
        indexes:
          - columns: [email]           # matched by columns (in order) when no name is given
            unique: true
          - name: users_created_idx    # matched by name; columns/unique checked if given
        foreign_keys:
          - columns: [org_id]
            references: {table: orgs, columns: [id]}
      billing.invoices:                # schema-qualified
        columns: {id: uuid}

Type names are compared after normalisation to PostgreSQL's canonical spelling
(``int`` → ``integer``, ``timestamptz`` → ``timestamp with time zone``, ``varchar(10)`` →
``character varying(10)``), so both spellings work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = [
    "ExpectedColumn",
    "ExpectedForeignKey",
    "ExpectedIndex",
    "ExpectedSchema",
    "ExpectedTable",
    "SchemaSpecError",
    "load_schema",
    "normalize_type",
    "parse_schema",
]


class SchemaSpecError(ValueError):
    """The schema file is not valid; the message names the file, line and key.

    Attributes:
        source: File name (or ``<string>``).
        line: 1-based line number, when known.
        key: Dotted path of the offending key (``tables.users.columns.id.nullable``).
    """

    def __init__(self, source: str, line: int | None, key: str, message: str) -> None:
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {key or '(top level)'}: {message}")
        self.source = source
        self.line = line
        self.key = key


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


_ALIASES = {
    "int": "integer", "int4": "integer", "serial": "integer", "serial4": "integer",
    "int8": "bigint", "bigserial": "bigint", "serial8": "bigint",
    "int2": "smallint", "smallserial": "smallint", "serial2": "smallint",
    "bool": "boolean", "float8": "double precision", "double": "double precision",
    "float": "double precision", "float4": "real", "decimal": "numeric",
    "varchar": "character varying", "char": "character(1)", "bpchar": "character",
    "timestamptz": "timestamp with time zone", "timestamp": "timestamp without time zone",
    "timetz": "time with time zone", "time": "time without time zone",
    "varbit": "bit varying",
}
_PARAMETERISED = {
    "varchar": "character varying", "char": "character", "decimal": "numeric",
    "timestamptz": "timestamp{} with time zone", "timestamp": "timestamp{} without time zone",
    "timetz": "time{} with time zone", "time": "time{} without time zone",
}


def normalize_type(name: str) -> str:
    """Return PostgreSQL's canonical (``format_type``) spelling of a type name."""
    text = re.sub(r"\s+", " ", name.strip().lower())
    text = re.sub(r"\s*\(\s*", "(", text)
    text = re.sub(r"\s*,\s*", ",", text)
    text = re.sub(r"\s*\)", ")", text)
    suffix = ""
    while text.endswith("[]"):
        text, suffix = text[:-2].rstrip(), suffix + "[]"
    match = re.fullmatch(r"([a-z0-9_ ]+?)(\([0-9,]+\))?", text)
    if match is None:
        return text + suffix
    base, args = match.group(1), match.group(2)
    if args:
        template = _PARAMETERISED.get(base)
        if template is None:
            return text + suffix
        if "{}" in template:
            return template.format(args) + suffix
        return f"{template}{args}{suffix}"
    return _ALIASES.get(base, base) + suffix


class _Reader:
    """Walks the composed YAML nodes so that every error can name its line."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._loader = yaml.SafeLoader("")

    def fail(self, node: Node | None, key: str, message: str) -> SchemaSpecError:
        line = node.start_mark.line + 1 if node is not None else None
        return SchemaSpecError(self.source, line, key, message)

    def mapping(
        self, node: Node, key: str, allowed: set[str] | None = None
    ) -> list[tuple[str, Node]]:
        if not isinstance(node, MappingNode):
            raise self.fail(node, key, f"expected a mapping, got {_kind(node)}")
        items: list[tuple[str, Node]] = []
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or not key_node.value:
                raise self.fail(key_node, key, "keys must be non-empty strings")
            name = str(key_node.value)
            child = f"{key}.{name}" if key else name
            if name in seen:
                raise self.fail(key_node, child, "duplicate key")
            if allowed is not None and name not in allowed:
                raise self.fail(
                    key_node, child, f"unknown key, expected one of {', '.join(sorted(allowed))}"
                )
            seen.add(name)
            items.append((name, value_node))
        return items

    def value(self, node: Node) -> Any:
        return self._loader.construct_object(node, deep=True)

    def string(self, node: Node, key: str) -> str:
        value = self.value(node) if isinstance(node, ScalarNode) else None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(node, key, f"expected a non-empty string, got {_kind(node, value)}")
        return value.strip()

    def boolean(self, node: Node, key: str) -> bool:
        value = self.value(node) if isinstance(node, ScalarNode) else None
        if not isinstance(value, bool):
            raise self.fail(node, key, f"expected true or false, got {_kind(node, value)}")
        return value

    def names(self, node: Node, key: str) -> tuple[str, ...]:
        if isinstance(node, ScalarNode):
            return (self.string(node, key),)
        if not isinstance(node, SequenceNode) or not node.value:
            raise self.fail(node, key, f"expected a list of column names, got {_kind(node)}")
        return tuple(self.string(item, f"{key}[{i}]") for i, item in enumerate(node.value))


def _kind(node: Node, value: Any = None) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if value is None and isinstance(node, ScalarNode):
        return repr(node.value) if node.value else "nothing"
    return repr(value)


def _split(name: str, default_schema: str) -> tuple[str, str]:
    schema, dot, table = name.rpartition(".")
    return (schema, table) if dot else (default_schema, name)


def _table(
    reader: _Reader, name: str, node: Node, key: str, schema: str, line: int
) -> ExpectedTable:
    columns: list[ExpectedColumn] = []
    indexes: list[ExpectedIndex] = []
    foreign_keys: list[ExpectedForeignKey] = []
    for part, value in reader.mapping(node, key, {"columns", "indexes", "foreign_keys"}):
        part_key = f"{key}.{part}"
        if part == "columns":
            for column, spec in reader.mapping(value, part_key):
                columns.append(_column(reader, column, spec, f"{part_key}.{column}"))
        else:
            if not isinstance(value, SequenceNode):
                raise reader.fail(value, part_key, f"expected a list, got {_kind(value)}")
            for index, item in enumerate(value.value):
                item_key = f"{part_key}[{index}]"
                if part == "indexes":
                    indexes.append(_index(reader, item, item_key))
                else:
                    foreign_keys.append(_foreign_key(reader, item, item_key, schema))
    table_schema, table_name = _split(name, schema)
    return ExpectedTable(
        table_schema, table_name, tuple(columns), tuple(indexes), tuple(foreign_keys), line
    )


def _column(reader: _Reader, name: str, node: Node, key: str) -> ExpectedColumn:
    line = node.start_mark.line + 1
    if isinstance(node, ScalarNode):
        if not node.value:
            return ExpectedColumn(name, None, None, line)
        return ExpectedColumn(name, normalize_type(reader.string(node, key)), None, line)
    type_name: str | None = None
    nullable: bool | None = None
    for field_name, value in reader.mapping(node, key, {"type", "nullable"}):
        if field_name == "type":
            type_name = normalize_type(reader.string(value, f"{key}.type"))
        else:
            nullable = reader.boolean(value, f"{key}.nullable")
    return ExpectedColumn(name, type_name, nullable, line)


def _index(reader: _Reader, node: Node, key: str) -> ExpectedIndex:
    name: str | None = None
    columns: tuple[str, ...] | None = None
    unique: bool | None = None
    for field_name, value in reader.mapping(node, key, {"name", "columns", "unique"}):
        if field_name == "name":
            name = reader.string(value, f"{key}.name")
        elif field_name == "columns":
            columns = reader.names(value, f"{key}.columns")
        else:
            unique = reader.boolean(value, f"{key}.unique")
    if name is None and columns is None:
        raise reader.fail(node, key, "an index needs a name or columns")
    return ExpectedIndex(name, columns, unique, node.start_mark.line + 1)


def _foreign_key(reader: _Reader, node: Node, key: str, schema: str) -> ExpectedForeignKey:
    name: str | None = None
    columns: tuple[str, ...] | None = None
    reference: tuple[str, str, tuple[str, ...] | None] | None = None
    for field_name, value in reader.mapping(node, key, {"name", "columns", "references"}):
        if field_name == "name":
            name = reader.string(value, f"{key}.name")
        elif field_name == "columns":
            columns = reader.names(value, f"{key}.columns")
        else:
            ref_key = f"{key}.references"
            ref_table: str | None = None
            ref_columns: tuple[str, ...] | None = None
            for ref_field, ref_value in reader.mapping(value, ref_key, {"table", "columns"}):
                if ref_field == "table":
                    ref_table = reader.string(ref_value, f"{ref_key}.table")
                else:
                    ref_columns = reader.names(ref_value, f"{ref_key}.columns")
            if ref_table is None:
                raise reader.fail(value, f"{ref_key}.table", "required")
            reference = (*_split(ref_table, schema), ref_columns)
    if columns is None:
        raise reader.fail(node, f"{key}.columns", "required")
    if reference is None:
        raise reader.fail(node, f"{key}.references", "required")
    return ExpectedForeignKey(
        name, columns, reference[0], reference[1], reference[2], node.start_mark.line + 1
    )


def parse_schema(text: str, source: str = "<string>") -> ExpectedSchema:
    """Parse a schema declaration.

    Raises:
        SchemaSpecError: Invalid YAML or an invalid key; the message names source, line, key.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        raise SchemaSpecError(source, line, "", f"invalid YAML: {error.problem}") from error
    except yaml.YAMLError as error:
        raise SchemaSpecError(source, None, "", f"invalid YAML: {error}") from error
    reader = _Reader(source)
    if root is None:
        raise SchemaSpecError(source, None, "", "the file is empty, expected a 'tables' mapping")
    schema = "public"
    tables_node: Node | None = None
    for key, value in reader.mapping(root, "", {"schema", "tables"}):
        if key == "schema":
            schema = reader.string(value, "schema")
        else:
            tables_node = value
    if tables_node is None:
        raise reader.fail(root, "tables", "required")
    entries = reader.mapping(tables_node, "tables")
    # reader.mapping has checked that tables_node is a mapping; report each table at its key.
    key_lines = [key.start_mark.line + 1 for key, _ in cast(MappingNode, tables_node).value]
    tables = tuple(
        _table(reader, name, node, f"tables.{name}", schema, line)
        for (name, node), line in zip(entries, key_lines, strict=True)
    )
    return ExpectedSchema(tables, source)


def load_schema(path: str | Path) -> ExpectedSchema:
    """Read and parse the schema file at ``path`` (see :func:`parse_schema`)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SchemaSpecError(str(path), None, "", f"cannot read: {error.strerror}") from error
    return parse_schema(text, str(path))
