"""Cheap SQL inspection: operation name, collection (table) name and a sanitised query text.

This is not a SQL parser. It reads the few leading tokens that name the operation and the
table, skipping comments, string literals and parenthesised parts; anything it does not
recognise gives ``_OTHER`` and no collection. Results are cached per statement text, so a
statement the application runs again costs one dictionary lookup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from signalpost.semconv.db import OTHER_OPERATION

__all__ = ["KNOWN_OPERATIONS", "StatementSummary", "sanitize", "summarize"]

KNOWN_OPERATIONS: frozenset[str] = frozenset(
    {
        "ALTER", "ANALYZE", "BEGIN", "CALL", "CHECKPOINT", "CLOSE", "CLUSTER", "COMMENT",
        "COMMIT", "COPY", "CREATE", "DEALLOCATE", "DECLARE", "DELETE", "DISCARD", "DO", "DROP",
        "END", "EXECUTE", "EXPLAIN", "FETCH", "GRANT", "INSERT", "LISTEN", "LOCK", "MERGE",
        "MOVE", "NOTIFY", "PREPARE", "REFRESH", "REINDEX", "RELEASE", "RESET", "REVOKE",
        "ROLLBACK", "SAVEPOINT", "SELECT", "SET", "SHOW", "START", "TABLE", "TRUNCATE",
        "UNLISTEN", "UPDATE", "VACUUM", "VALUES",
    }
)
"""First keywords reported as ``db.operation.name``; any other becomes ``_OTHER``."""

# Operations a WITH clause may lead to; the summary names that one, not WITH.
_CTE_TARGETS = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "VALUES", "TABLE"})
# DDL objects whose name is reported as the collection.
_DDL_OBJECTS = frozenset({"TABLE", "VIEW", "INDEX", "SEQUENCE"})
_SKIP_WORDS = frozenset(
    {"IF", "NOT", "EXISTS", "ONLY", "TEMP", "TEMPORARY", "UNLOGGED", "UNIQUE", "CONCURRENTLY",
     "MATERIALIZED", "OR", "REPLACE", "GLOBAL", "LOCAL", "LATERAL"}
)

_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<comment>--[^\n]*|/\*.*?(?:\*/|\Z))
    | (?P<string>[EeBbXxUu]?'(?:[^']|'')*(?:'|\Z))
    | (?P<dollar>\$(?P<tag>[A-Za-z_]\w*)?\$.*?(?:\$(?P=tag)?\$|\Z))
    | (?P<ident>"(?:[^"]|"")*"(?:\s*\.\s*"(?:[^"]|"")*"|\s*\.\s*[A-Za-z_][\w$]*)*
        |[A-Za-z_][\w$]*(?:\s*\.\s*(?:"(?:[^"]|"")*"|[A-Za-z_][\w$]*))*)
    | (?P<number>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)
    | (?P<param>\$\d+|%(?:\(\w+\))?s|%b|%t)
    | (?P<open>\()
    | (?P<close>\))
    | (?P<semi>;)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)

_MAX_TOKENS = 400
_MAX_COLLECTION_LENGTH = 128


@dataclass(frozen=True, slots=True)
class StatementSummary:
    """What a statement does, cheaply known.

    Attributes:
        operation: The first SQL keyword, upper case, from :data:`KNOWN_OPERATIONS`, or
            ``_OTHER``. A ``WITH`` query reports the operation of its main statement.
        collection: The table the statement works on when a simple reading finds one
            (``FROM``, ``INTO``, ``UPDATE``, ``TABLE``, DDL), else ``None``. Unquoted names
            are lower-cased; quotes are removed.
    """

    operation: str
    collection: str | None

    @property
    def span_name(self) -> str:
        """``{operation} {collection}`` as the database conventions name client spans."""
        if self.collection:
            return f"{self.operation} {self.collection}"
        return self.operation if self.operation != OTHER_OPERATION else "postgresql"


def _normalise_identifier(raw: str) -> str:
    parts = []
    for part in re.findall(r'"(?:[^"]|"")*"|[^\s.]+', raw):
        if part.startswith('"'):
            parts.append(part[1:-1].replace('""', '"'))
        else:
            parts.append(part.lower())
    return ".".join(parts)[:_MAX_COLLECTION_LENGTH]


def _top_level_words(text: str) -> list[tuple[str, str]]:
    """Return (kind, text) of identifiers and keywords at parenthesis depth 0, in order."""
    words: list[tuple[str, str]] = []
    depth = 0
    for count, match in enumerate(_TOKEN.finditer(text)):
        if count > _MAX_TOKENS:
            break
        kind = match.lastgroup
        if kind == "open":
            depth += 1
            if depth == 1:
                words.append(("open", "("))
        elif kind == "close":
            depth = max(0, depth - 1)
        elif kind == "semi" and depth == 0:
            break
        elif depth == 0 and kind == "ident":
            words.append((kind, match.group()))
    return words


def _collection_after(words: list[tuple[str, str]], start: int) -> str | None:
    for kind, value in words[start:]:
        if kind != "ident":
            return None
        if value.upper() in _SKIP_WORDS:
            continue
        return _normalise_identifier(value)
    return None


def _find(words: list[tuple[str, str]], keyword: str, start: int = 0) -> int:
    for index in range(start, len(words)):
        kind, value = words[index]
        if kind == "ident" and value.upper() == keyword:
            return index
    return -1


@lru_cache(maxsize=1024)
def summarize(text: str) -> StatementSummary:
    """Return the operation and collection of one SQL statement (the first, if several).

    Args:
        text: The statement as sent, with placeholders rather than values.
    """
    words = _top_level_words(text)
    if not words or words[0][0] != "ident":
        return StatementSummary(OTHER_OPERATION, None)
    first = words[0][1].upper()
    position = 0
    if first == "WITH":
        # The main statement follows the last CTE body: the first target keyword at depth 0
        # after a parenthesised part.
        for index in range(1, len(words)):
            kind, value = words[index]
            if kind == "ident" and value.upper() in _CTE_TARGETS and words[index - 1][0] == "open":
                first, position = value.upper(), index
                break
        else:
            return StatementSummary(OTHER_OPERATION, None)
    if first not in KNOWN_OPERATIONS:
        return StatementSummary(OTHER_OPERATION, None)
    collection: str | None = None
    if first == "SELECT":
        found = _find(words, "FROM", position + 1)
        collection = _collection_after(words, found + 1) if found >= 0 else None
    elif first in ("INSERT", "MERGE"):
        found = _find(words, "INTO", position + 1)
        collection = _collection_after(words, found + 1) if found >= 0 else None
    elif first == "DELETE":
        found = _find(words, "FROM", position + 1)
        collection = _collection_after(words, found + 1) if found >= 0 else None
    elif first in ("UPDATE", "TABLE", "COPY", "LOCK", "VACUUM", "ANALYZE"):
        collection = _collection_after(words, position + 1)
        if collection is not None and collection.upper() in ("TABLE", "FULL", "VERBOSE"):
            collection = _collection_after(words, position + 2)
    elif first == "TRUNCATE":
        offset = 2 if len(words) > 1 and words[1][1].upper() == "TABLE" else 1
        collection = _collection_after(words, offset)
    elif first in ("CREATE", "ALTER", "DROP"):
        for index in range(1, min(len(words), 6)):
            if words[index][0] == "ident" and words[index][1].upper() in _DDL_OBJECTS:
                collection = _collection_after(words, index + 1)
                if first == "CREATE" and words[index][1].upper() == "INDEX":
                    # CREATE INDEX name ON table: the table is the collection.
                    found = _find(words, "ON", index + 1)
                    collection = _collection_after(words, found + 1) if found >= 0 else None
                break
    if collection is not None and (
        not collection or collection.split(".")[-1].upper() in KNOWN_OPERATIONS | {"WHERE"}
    ):
        collection = None
    return StatementSummary(first, collection)


def sanitize(text: str, limit: int = 2048) -> str:
    """Return ``text`` with string and number literals replaced by ``?``, cut to ``limit``.

    Placeholders (``%s``, ``%(name)s``, ``$1``) stay as they are; comments are dropped.
    """
    out: list[str] = []
    size = 0
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "comment":
            continue
        piece = "?" if kind in ("string", "dollar", "number") else match.group()
        if kind == "space":
            piece = " "
        out.append(piece)
        size += len(piece)
        if size >= limit:
            break
    return "".join(out).strip()[:limit]
