"""Secret keys' values in text: ``key=value``, ``key: value``, ``"key": "value"`` and
``('key', 'value')`` pairs, found key by key.

A harmless key's value is never consumed, so a nested mapping, a list of header pairs or
``key=value`` after an exception type is read as such; a secret key's value goes whole: a quoted
string, a balanced ``{...}``/``[...]``, a cookie list or an auth scheme and its credential.
Values that cannot be secrets stay: SQL and template placeholders (``%s``, ``?``, ``:name``),
code (``api_key = KEYS[tenant]``), states and validation messages (``password: required``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["CODE_CHAIN", "FILTERED", "benign_value", "looks_made_up", "scrub_pairs"]

FILTERED = "[Filtered]"

_KEY = re.compile(
    r"""(?:b?(["'])([A-Za-z_][\w.-]{0,63})\1|(?<![\w.-])([A-Za-z_][\w.-]{0,63}))"""
    r"""[ \t]*(?:=(?![=>])|:(?![:/=]))[ \t]*"""
)
_TUPLE = re.compile(r"""[(\[]\s*b?(["'])([A-Za-z_][\w.-]{0,63})\1\s*,\s*b?(["'])""")
_UNQUOTED = re.compile(r"""[^\s&,;()\[\]{}"'<>]+""")
_NAMED_PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]")
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
CODE_CHAIN = re.compile(r"[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+")
_SCHEMES = frozenset({"bearer", "basic", "token", "digest", "negotiate", "apikey"})
_SCHEME_CREDENTIAL = re.compile(r"[ \t]+[A-Za-z0-9._~+/=-]+")
_MORE_COOKIES = re.compile(r"(?:;[ \t]*[^\s;,=]+=[^\s;,]*)+")
_PLACEHOLDER = re.compile(
    r"(?i)%(?:\(\w*\))?[sd]|\?|\$\d+|:\w+|\{\w*\}|none|null|nil|undefined|true|false|"
    r"\*+|x{3,}|<[^<>]*>|\[[a-z _-]*\]|redacted|hidden|masked|\.{3}|…|-+|n/a"
)
_STATES = frozenset(
    {
        "required", "missing", "invalid", "empty", "expired", "revoked", "unset", "set",
        "present", "absent", "ok", "changed", "updated", "reset", "rotated", "valid",
        "verified", "weak", "strong", "mismatch", "incorrect", "wrong", "blank", "provided",
        "configured", "enabled", "disabled", "ignored", "optional", "rejected", "accepted",
        "unknown", "default", "pending", "sent", "stale", "refreshed", "used", "new",
        "closed", "open", "active", "inactive", "started", "ended", "created", "deleted",
        "found", "available", "unavailable", "locked", "unlocked",
    }
)  # fmt: skip
_VALIDATION = re.compile(
    r"(?i)\b(?:required|must|should|cannot|can't|invalid|too|at (?:least|most)|"
    r"(?:does|do|did) ?(?:not|n't) match|not allowed|ensure|expected|missing|characters?|"
    r"not (?:set|found|given|provided|configured|present|available|needed)|"
    r"field|please|empty|entirely|numeric|similar|common|length|digits?|letters?|"
    r"upper ?case|lower ?case|symbols?)\b"
)
_CLAUSE = re.compile(r"[^,;\n]+")
_QUOTED = re.compile(r"""(["'])((?:\\.|(?!\1).)*)\1""")


def benign_value(value: str) -> bool:
    """A value that cannot be a secret: a placeholder, a state word, a validation message."""
    text = value.strip()
    if not text or _PLACEHOLDER.fullmatch(text) or text in _STATES:
        return True
    return " " in text and _VALIDATION.search(text) is not None


def looks_made_up(value: str) -> bool:
    """A word that looks made up rather than English: digits, symbols or inner capitals."""
    if len(value) < 4:
        return False
    inner_upper = any(c.isupper() for c in value[1:]) and any(c.islower() for c in value)
    if any(c.isdigit() for c in value) or inner_upper:
        return True
    letters = value.replace("-", "").replace("_", "").replace("'", "")
    return len(value) >= 6 and not letters.isalpha()


def scrub_pairs(value: str, is_secret: Callable[[str], bool]) -> str:
    """Replace the values of secret keys in ``key=value``-like pairs, key by key."""
    out: list[str] = []
    done = 0
    position = 0
    length = len(value)
    while position < length:
        match = _KEY.search(value, position)
        if match is None:
            break
        position = match.end()
        if not is_secret(match.group(2) or match.group(3)):
            continue
        span = _value_span(value, position, _is_cookie(match.group(2) or match.group(3)))
        if span is None:
            continue
        start, end = span
        out.append(value[done:start])
        out.append(FILTERED)
        done = position = end
    if ("(" in value or "[" in value) and "," in value:
        return _scrub_tuples("".join(out) + value[done:], is_secret)
    return "".join(out) + value[done:] if out else value


def _scrub_tuples(value: str, is_secret: Callable[[str], bool]) -> str:
    """Header lists: ``[('authorization', 'Bearer x')]``, ``(b'cookie', b'sid=1')``."""
    out: list[str] = []
    done = 0
    for match in _TUPLE.finditer(value):
        if not is_secret(match.group(2)):
            continue
        start = match.end() - 1
        end = _close_quote(value, start)
        if start < done or benign_value(value[start + 1 : end - 1]):
            continue
        out.append(value[done:start])
        out.append(FILTERED)
        done = end
    return "".join(out) + value[done:] if out else value


def _is_cookie(key: str) -> bool:
    return key.lower().rstrip("s").endswith("cookie")


def _value_span(text: str, start: int, cookie: bool) -> tuple[int, int] | None:
    """Where a secret key's value is, or ``None`` when there is none or it is harmless."""
    if start >= len(text) or text.startswith(FILTERED, start):
        return None
    first = text[start]
    if first in "bB" and text[start + 1 : start + 2] in ("'", '"'):
        end = _close_quote(text, start + 1)
        return None if benign_value(text[start + 2 : end - 1]) else (start, end)
    if first in "\"'":
        end = _close_quote(text, start)
        return None if benign_value(text[start + 1 : end - 1]) else (start, end)
    if first in "{[(":
        end = _close_bracket(text, start)
        return None if _benign_structure(text[start + 1 : end - 1]) else (start, end)
    if _NAMED_PLACEHOLDER.match(text, start) is not None:
        return None  # password_hash = %(password_hash)s
    match = _UNQUOTED.match(text, start)
    if match is None:
        return None
    word, end = match.group(0), match.end()
    if (text[end : end + 1] in ("(", "[") and _IDENTIFIER.fullmatch(word)) or CODE_CHAIN.fullmatch(
        word
    ):
        return None  # code: api_key = KEYS_BY_TENANT[tenant], password=settings.db_password
    if text[end : end + 1] == " " and not looks_made_up(word):
        clause = _CLAUSE.match(text, start)
        if clause is not None and benign_value(clause.group(0)):
            return None  # password: must contain a digit
    if word.lower() in _SCHEMES:
        credential = _SCHEME_CREDENTIAL.match(text, end)
        if credential is not None:
            end = credential.end()
    elif cookie:
        more = _MORE_COOKIES.match(text, end)
        if more is not None:
            end = more.end()
    return None if benign_value(word) and end == match.end() else (start, end)


def _close_quote(text: str, start: int) -> int:
    """The index after the quote closing the one at ``start`` (or the end of the line)."""
    quote = text[start]
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == quote:
            return index + 1
        if char == "\n":
            return index
        index += 1
    return len(text)


def _close_bracket(text: str, start: int) -> int:
    """The index after the bracket closing the one at ``start`` (quotes skipped)."""
    depth = 0
    index = start
    while index < len(text):
        char = text[index]
        if char in "\"'":
            index = _close_quote(text, index)
            continue
        if char in "{[(":
            depth += 1
        elif char in "}])":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return len(text)


def _benign_structure(inner: str) -> bool:
    """A list of validation messages (``['This field is required.']``) or nothing."""
    rest = _QUOTED.sub("", inner)
    if rest.strip(" ,\n"):
        return False
    return all(benign_value(m.group(2)) for m in _QUOTED.finditer(inner))
