"""YAML read for validation by pydantic, keeping the line of every key.

The one reader behind Signalpost's settings file and the database schema spec: it decodes
UTF-8 (naming the file otherwise), rejects duplicate keys at any depth, caps how many values a
document may expand to (an alias bomb is refused after a few thousand values, not after
hundreds of megabytes) and returns plain Python data with a map from each key path to its line.
:func:`problems` turns a pydantic ``ValidationError`` into (key path, expected, got) triples
with values echoed truncated.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = [
    "MAX_VALUES",
    "Located",
    "YamlProblem",
    "dotted",
    "known_keys",
    "parse",
    "problems",
    "read",
    "shown",
]

MAX_VALUES = 10_000
_BOOL_TAG = "tag:yaml.org,2002:bool"
_SHOWN = 60

Path_ = tuple[str | int, ...]


class YamlProblem(Exception):
    """The text is not usable YAML: ``line`` (1-based, if known), ``key``, what was expected."""

    def __init__(self, line: int | None, key: Path_, expected: str, got: str | None = None):
        super().__init__(expected)
        self.line = line
        self.key = key
        self.expected = expected
        # Parser messages can quote the document (a tag, an anchor): keep them one short line.
        self.got = got if got is None or len(got) <= 120 else got[:117] + "..."


@dataclass(frozen=True)
class Located:
    """Plain data from YAML and the line of every key path in it."""

    data: Any
    lines: dict[Path_, int]

    def line_of(self, path: Path_) -> int | None:
        """The line of ``path`` or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


def shown(value: Any) -> str:
    """``repr(value)`` cut to a length fit for a one-line message."""
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def dotted(path: Path_) -> str:
    """``("tables", "users", "indexes", 0)`` → ``tables.users.indexes[0]``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def read(path: Path) -> Located:
    """Read and parse ``path``; :class:`YamlProblem` for undecodable or invalid text.

    Raises:
        OSError: The file cannot be read.
    """
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise YamlProblem(
            line, (), "UTF-8 text", f"byte 0x{raw[error.start]:02x} at offset {error.start}"
        ) from None
    return parse(text)


def parse(text: str) -> Located:
    """Parse YAML ``text`` into plain data and key lines; :class:`YamlProblem` when invalid."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        raise YamlProblem(line, (), "valid YAML", str(error.problem)) from None
    except yaml.YAMLError as error:
        raise YamlProblem(None, (), "valid YAML", str(error).splitlines()[0]) from None
    lines: dict[Path_, int] = {}
    if root is None:
        return Located(None, lines)
    lines[()] = root.start_mark.line + 1
    builder = _Builder(lines)
    return Located(builder.build(root, ()), lines)


class _Builder:
    def __init__(self, lines: dict[Path_, int]) -> None:
        self.lines = lines
        self.count = 0
        self._scalars = yaml.SafeLoader("")
        self._built: set[int] = set()
        # Where the document uses an alias whose expansion is being built (outermost one).
        self._alias_at: Path_ | None = None

    def build(self, node: Node, path: Path_) -> Any:
        if id(node) in self._built and self._alias_at is None:
            self._alias_at = path
            try:
                return self._build(node, path)
            finally:
                self._alias_at = None
        self._built.add(id(node))
        return self._build(node, path)

    def _build(self, node: Node, path: Path_) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            # Aliases repeat nodes from elsewhere: name the key of this document that expands,
            # not a key inside the expansion nor the section around it.
            where = self._alias_at if self._alias_at is not None else path
            while where and isinstance(where[-1], int):
                where = where[:-1]
            raise YamlProblem(
                self.lines.get(where, node.start_mark.line + 1),
                where,
                f"a document of at most {MAX_VALUES} values (YAML aliases expand to more)",
            )
        if isinstance(node, ScalarNode):
            if node.tag == _BOOL_TAG or node.style is None:
                # Booleans are true/false, case-insensitive, as OpenTelemetry's: YAML 1.1's
                # yes/no/on/off stay text (refused where a boolean is expected), tRuE is one.
                word = node.value.lower()
                if word in ("true", "false"):
                    return word == "true"
                if node.tag == _BOOL_TAG:
                    return node.value
            try:
                return self._scalars.construct_object(node)
            except (yaml.YAMLError, ValueError, OverflowError) as error:
                raise YamlProblem(
                    node.start_mark.line + 1, path, "a valid YAML value", str(error).split("\n")[0]
                ) from None
        if isinstance(node, SequenceNode):
            out = []
            for index, item in enumerate(node.value):
                self.lines.setdefault((*path, index), item.start_mark.line + 1)
                out.append(self.build(item, (*path, index)))
            return out
        if not isinstance(node, MappingNode):
            raise YamlProblem(node.start_mark.line + 1, path, "a scalar, list or mapping")
        mapping: dict[Any, Any] = {}
        first: dict[Any, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            key = self.build(key_node, path) if isinstance(key_node, ScalarNode) else None
            if not isinstance(key, str | int | float | bool) or key == "":
                raise YamlProblem(line, path, "keys that are plain names")
            key = str(key)
            if key in first:
                raise YamlProblem(
                    line, (*path, key), f"each key once (first given at line {first[key]})"
                )
            first[key] = line
            self.lines[(*path, key)] = line
            mapping[key] = self.build(value_node, (*path, key))
        return mapping


_PREFIX = re.compile(r"^(Value error|Assertion failed), ")
_KINDS = {
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "string": "a string",
    "list": "a list",
    "dict": "a mapping",
    "model": "a mapping",
}


def _expected(error: Any) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        return "a known key"
    if kind == "missing":
        return "a value (required)"
    if kind in ("value_error", "assertion_error"):
        return _PREFIX.sub("", error["msg"])
    base = kind.removesuffix("_type").removesuffix("_parsing")
    if base in _KINDS and kind != base:
        return _KINDS[base]
    if kind == "greater_than":
        return f"a number greater than {ctx['gt']}"
    if kind == "greater_than_equal":
        return f"a number of at least {ctx['ge']}"
    if kind == "less_than_equal":
        return f"a number of at most {ctx['le']}"
    if kind == "literal_error":
        return str(ctx.get("expected", error["msg"]))
    if kind == "too_short":
        return "a non-empty list"
    message: str = error["msg"]
    return message[:1].lower() + message[1:]


def problems(error: ValidationError) -> Iterator[tuple[Path_, str, Any]]:
    """(key path, what was expected, the value given) for each error pydantic reported."""
    for item in error.errors(include_url=False):
        path = tuple(p for p in item["loc"] if isinstance(p, str | int))
        # Unions add the member's name to the path; keep only keys and indexes of the data.
        yield path, _expected(item), item.get("input")


def _unwrap(tp: Any) -> Any:
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (types.UnionType, typing.Union):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            tp = members[0]
        else:
            return tp


def known_keys(model: type[BaseModel], path: Path_) -> list[str]:
    """The keys (as written, aliases included) of the model that ``path`` leads into."""
    tp: Any = model
    for part in path:
        tp = _unwrap(tp)
        origin = typing.get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            names = {(i.alias or n): i for n, i in tp.model_fields.items()}
            if part not in names:
                return []
            tp = names[str(part)].annotation
        elif origin is dict:
            tp = typing.get_args(tp)[1]
        elif origin is list:
            tp = typing.get_args(tp)[0]
        else:
            return []
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [(i.alias or n) for n, i in tp.model_fields.items()]
    return []
