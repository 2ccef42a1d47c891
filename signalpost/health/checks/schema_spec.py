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

from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from signalpost._yamlsource import (
    Located,
    YamlProblem,
    dotted,
    known_keys,
    parse,
    problems,
    read,
    shown,
)
from signalpost.health.checks.schema_expected import (
    ExpectedColumn,
    ExpectedForeignKey,
    ExpectedIndex,
    ExpectedSchema,
    ExpectedTable,
)
from signalpost.health.checks.schema_types import normalize_type

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


class SchemaSpecError(SystemExit, ValueError):
    """The schema file is not valid; the message names the file, line and key.

    Like the settings' ``SettingsError`` it is a :class:`SystemExit`, so that a broken file
    found while a server imports the app ends the process with one line and status 1 instead
    of a traceback, and a :class:`ValueError` for code that catches it.

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
        # What the interpreter prints when nobody catches it.
        self.code = f"signalpost: schema spec error: {self.args[0]}"

    def __str__(self) -> str:
        return str(self.args[0])


NonEmpty = Annotated[str, AfterValidator(lambda v: _non_empty(v))]


def _non_empty(value: str) -> str:
    if not value.strip():
        raise ValueError("expected a non-empty string")
    return value.strip()


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


Names = Annotated[list[NonEmpty], Field(min_length=1), BeforeValidator(_one_or_many)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Column(_Model):
    type: NonEmpty | None = None
    nullable: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        # "nickname: text" declares the type only; "nickname:" declares nothing but presence.
        if value is None:
            return {}
        return {"type": value} if isinstance(value, str) else value


class _Index(_Model):
    name: NonEmpty | None = None
    columns: Names | None = None
    unique: bool | None = None

    @model_validator(mode="after")
    def _named(self) -> _Index:
        if self.name is None and self.columns is None:
            raise ValueError("an index needs a name or columns")
        return self


class _Reference(_Model):
    table: NonEmpty
    columns: Names | None = None


class _ForeignKey(_Model):
    name: NonEmpty | None = None
    columns: Names
    references: _Reference


class _Table(_Model):
    columns: dict[str, _Column] = Field(default_factory=dict)
    indexes: list[_Index] = Field(default_factory=list)
    foreign_keys: list[_ForeignKey] = Field(default_factory=list)


class _Spec(_Model):
    default_schema: NonEmpty = Field(default="public", alias="schema")
    tables: dict[str, _Table]


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return shown(value)


def _message(path: tuple[str | int, ...], expected: str, got: Any) -> str:
    if expected == "a known key":
        allowed = ", ".join(sorted(known_keys(_Spec, path[:-1])))
        return f"unknown key, expected one of {allowed}"
    if expected == "a value (required)":
        return "required"
    if expected.startswith(("an index", "expected")):
        return expected if expected.startswith("an index") else f"{expected}, got {_kind(got)}"
    if expected == "a string":
        expected = "a non-empty string"
    elif expected == "a non-empty list":
        expected = "a list of column names"
    return f"expected {expected}, got {_kind(got)}"


def _split(name: str, default_schema: str) -> tuple[str, str]:
    schema, dot, table = name.rpartition(".")
    return (schema, table) if dot else (default_schema, name)


def _names(values: list[str] | None) -> tuple[str, ...] | None:
    return None if values is None else tuple(values)


def _spec_error(source: str, problem: YamlProblem) -> SchemaSpecError:
    """The error naming ``source``, line and key for what the YAML reader found wrong."""
    message = f"expected {problem.expected}"
    if problem.expected == "valid YAML":
        message = f"invalid YAML: {problem.got}"
    elif problem.got is not None:
        message += f", got {problem.got}"
    return SchemaSpecError(source, problem.line, dotted(problem.key), message)


def parse_schema(text: str, source: str = "<string>") -> ExpectedSchema:
    """Parse a schema declaration (validated by pydantic models, lines kept by the reader).

    Raises:
        SchemaSpecError: Invalid YAML or an invalid key; the message names source, line, key.
    """
    try:
        located = parse(text)
    except YamlProblem as problem:
        raise _spec_error(source, problem) from None
    return _build(located, source)


def _build(located: Located, source: str) -> ExpectedSchema:
    if located.data is None:
        raise SchemaSpecError(source, None, "", "the file is empty, expected a 'tables' mapping")
    try:
        spec = _Spec.model_validate(located.data)
    except ValidationError as error:
        path, expected, got = next(problems(error))
        line = located.line_of(path)
        raise SchemaSpecError(source, line, dotted(path), _message(path, expected, got)) from None
    default = spec.default_schema
    tables = []
    for name, table in spec.tables.items():
        at = ("tables", name)
        table_schema, table_name = _split(name, default)
        tables.append(
            ExpectedTable(
                table_schema,
                table_name,
                tuple(
                    ExpectedColumn(
                        column,
                        None if c.type is None else normalize_type(c.type),
                        c.nullable,
                        located.line_of((*at, "columns", column)) or 0,
                    )
                    for column, c in table.columns.items()
                ),
                tuple(
                    ExpectedIndex(
                        i.name,
                        _names(i.columns),
                        i.unique,
                        located.line_of((*at, "indexes", n)) or 0,
                    )
                    for n, i in enumerate(table.indexes)
                ),
                tuple(
                    ExpectedForeignKey(
                        f.name,
                        tuple(f.columns),
                        *_split(f.references.table, default),
                        _names(f.references.columns),
                        located.line_of((*at, "foreign_keys", n)) or 0,
                    )
                    for n, f in enumerate(table.foreign_keys)
                ),
                located.line_of(at) or 0,
            )
        )
    return ExpectedSchema(tuple(tables), source)


def load_schema(path: str | Path) -> ExpectedSchema:
    """Read and parse the schema file at ``path`` (see :func:`parse_schema`)."""
    path = Path(path)
    try:
        located = read(path)
    except OSError as error:
        raise SchemaSpecError(str(path), None, "", f"cannot read: {error.strerror}") from error
    except YamlProblem as problem:
        raise _spec_error(str(path), problem) from None
    return _build(located, str(path))
