"""Secrets inside free text (messages, exception text, reprs, headers dumped as dicts).

Structure first: ``key=value``, ``key: value``, ``"key": "value"`` and ``('key', 'value')`` pairs
are found key by key, so that a harmless key never swallows the next pair (its value is not
consumed: a nested mapping, a list or ``key=value`` after an exception type is read as such),
and a secret key's value is taken whole: a quoted string, a balanced ``{...}``/``[...]``, a
cookie list or an auth scheme and its credential. Values that cannot be secrets stay: SQL and
template placeholders (``%s``, ``?``, ``:name``), code (``api_key = KEYS[tenant]``), states and
validation messages (``password: required``). Then shapes: well-known key formats, JWTs,
``Bearer``/``Basic`` credentials that look like credentials, passwords in URLs, card numbers
(Luhn and a card network prefix), long random runs; and prose (``the password is x9!``) only
when the value looks like a secret rather than a word.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["FILTERED", "luhn_valid", "scrub_pairs", "scrub_prose", "scrub_shapes", "triggered"]

FILTERED = "[Filtered]"

# --------------------------------------------------------------------------- value shapes

# Each pattern with the literals one of which its match must contain (lower-cased literals are
# looked for in the lower-cased text), and whether it needs a credential-looking group 1.
_VALUE_PATTERNS: tuple[tuple[tuple[str, ...], bool, re.Pattern[str]], ...] = (
    (
        ("-----BEGIN ",),
        False,
        re.compile(r"-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(?:-----END [A-Z0-9 ]+-----|$)"),
    ),
    (
        ("bearer", "basic", "token", "digest"),
        True,
        re.compile(
            r"(?i)\b(?:bearer|basic|token|digest)\s+(?!\[Filtered\])"
            r"([A-Za-z0-9._~+/-]{6,}={0,2})(?=[\s,;'\"]|$)(?!\s*[=:])"
        ),
    ),
    (("eyJ",), False, re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")),
    (("://",), False, re.compile(r"(?<=://)[^\s/?#@:]*:[^\s/?#]*(?=@)")),
    (
        ("AKIA", "ASIA", "ABIA", "ACCA"),
        False,
        re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"),
    ),
    (
        ("gh", "github_pat_"),
        False,
        re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"),
    ),
    (("glpat-",), False, re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}")),
    (("xox",), False, re.compile(r"\bxox[abposrce]-[A-Za-z0-9-]{10,}")),
    (("hooks.slack.com",), False, re.compile(r"hooks\.slack\.com/services/[A-Za-z0-9/]+")),
    (
        ("_live_", "_test_"),
        False,
        re.compile(r"\b(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{10,}"),
    ),
    (("whsec_",), False, re.compile(r"\bwhsec_[A-Za-z0-9]{20,}")),
    (("sk-",), False, re.compile(r"\bsk-[A-Za-z0-9_-]{20,}")),
    (("AIza",), False, re.compile(r"\bAIza[0-9A-Za-z_-]{35,}")),
    (("ya29.",), False, re.compile(r"\bya29\.[0-9A-Za-z_-]{20,}")),
    (("npm_",), False, re.compile(r"\bnpm_[A-Za-z0-9]{36}\b")),
    (("SG.",), False, re.compile(r"\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}")),
)

# Secrets in prose: "password hunter2Zebra", "the secret is x-4471", "api key: k-77".
_PROSE = re.compile(
    r"(?i)\b(pass(?:word|wd|phrase)|pwd|secret|token|(?:api|access|private|secret)[ -]key)"
    r"(\s+(?:is|was)\s+|\s*[:=]\s*|\s+)(?!\[Filtered\])([^\s,;]+)"
)
_BARE_SPACE_WORDS = frozenset({"password", "passwd", "passphrase", "pwd"})
_PROSE_LITERALS = ("pass", "pwd", "secret", "key", "token")

_TRIGGERS = re.compile(
    "|".join(
        sorted(
            {re.escape(lit.lower()) for literals, _, _ in _VALUE_PATTERNS for lit in literals}
            | {re.escape(lit) for lit in _PROSE_LITERALS}
        )
    )
)

# Payment card numbers: 13 to 19 digits, optionally grouped by spaces or dashes; checked for the
# Luhn sum and a card network's first digit (2-6), so epoch-millisecond timestamps (1...) stay.
_CARD = re.compile(r"(?<![\w.+])\d(?:[ -]?\d){12,18}(?![\w.])")
_CARD_FIRST_DIGITS = frozenset("23456")
MIN_CARD = 13
# Base64 runs of 40+ characters mixing upper case, lower case and digits; random ones (AWS
# secret keys, PEM lines) are told from CamelCase names and paths by the length of their words.
_HIGH_ENTROPY = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{40,}={0,2}")
MIN_ENTROPY = 40
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
# Mean word length of random runs: about 1.9; of names: 4 and more.
_RANDOM_MEAN = 3.0
_WORDY = 4.0
_RANDOM_SINGLES = 0.3

# --------------------------------------------------------------------------- pairs

_KEY = re.compile(
    r"""(?:b?(["'])([A-Za-z_][\w.-]{0,63})\1|(?<![\w.-])([A-Za-z_][\w.-]{0,63}))"""
    r"""[ \t]*(?:=(?![=>])|:(?![:/=]))[ \t]*"""
)
_TUPLE = re.compile(r"""[(\[]\s*b?(["'])([A-Za-z_][\w.-]{0,63})\1\s*,\s*b?(["'])""")
_UNQUOTED = re.compile(r"""[^\s&,;()\[\]{}"'<>]+""")
_NAMED_PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]")
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
_CODE_CHAIN = re.compile(r"[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+")
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
    }
)  # fmt: skip
_VALIDATION = re.compile(
    r"(?i)\b(?:required|must|should|cannot|can't|invalid|too|at (?:least|most)|"
    r"(?:does|do|did) ?(?:not|n't) match|not allowed|ensure|expected|missing|characters?|"
    r"field|please|empty|entirely|numeric|similar|common|length|digits?|letters?|"
    r"upper ?case|lower ?case|symbols?)\b"
)
_CLAUSE = re.compile(r"[^,;\n]+")
_QUOTED = re.compile(r"""(["'])((?:\\.|(?!\1).)*)\1""")


def triggered(lower: str) -> bool:
    """Whether lower-cased text holds a literal of a value shape or of prose (most do not)."""
    return _TRIGGERS.search(lower) is not None


def benign_value(value: str) -> bool:
    """A value that cannot be a secret: a placeholder, a state word, a validation message."""
    text = value.strip()
    if not text or _PLACEHOLDER.fullmatch(text) or text in _STATES:
        return True
    return " " in text and _VALIDATION.search(text) is not None


def _secretish(value: str) -> bool:
    """A word that looks made up rather than English: digits, symbols or inner capitals."""
    if len(value) < 4:
        return False
    inner_upper = any(c.isupper() for c in value[1:]) and any(c.islower() for c in value)
    if any(c.isdigit() for c in value) or inner_upper:
        return True
    letters = value.replace("-", "").replace("_", "").replace("'", "")
    return len(value) >= 6 and not letters.isalpha()


def scrub_shapes(value: str, lower: str) -> str:
    """Replace the well-known secret shapes (run when :func:`triggered`)."""
    for literals, credential, pattern in _VALUE_PATTERNS:
        text = lower if credential else value
        if any(literal in text for literal in literals):
            value = pattern.sub(_credential if credential else _filtered, value)
    return value


def _filtered(_: re.Match[str]) -> str:
    return FILTERED


def _credential(match: re.Match[str]) -> str:
    return FILTERED if _secretish(match.group(1)) else match.group(0)


def scrub_prose(value: str) -> str:
    """Replace secrets in sentences (run when :func:`triggered`)."""
    return _PROSE.sub(_prose, value)


def _prose(match: re.Match[str]) -> str:
    word, glue, raw = match.group(1).lower(), match.group(2), match.group(3)
    core = raw.rstrip(".!?:)'\"")
    if "=" in glue or ":" in glue:
        # One-word keys are the pair scanner's: it already kept or replaced the value.
        if " " not in word and "-" not in word:
            return match.group(0)
        keep = benign_value(core) or _CODE_CHAIN.fullmatch(core) is not None
    elif glue.strip():  # "is", "was"
        keep = not _secretish(core)
    else:
        keep = word not in _BARE_SPACE_WORDS or not _secretish(core)
    if keep:
        return match.group(0)
    return match.group(1) + glue + FILTERED + raw[len(core) :]


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
    if (text[end : end + 1] in ("(", "[") and _IDENTIFIER.fullmatch(word)) or _CODE_CHAIN.fullmatch(
        word
    ):
        return None  # code: api_key = KEYS_BY_TENANT[tenant], password=settings.db_password
    if text[end : end + 1] == " " and not _secretish(word):
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


# --------------------------------------------------------------------------- numbers, runs


def luhn_valid(digits: str) -> bool:
    """Return whether a string of digits passes the Luhn checksum of card numbers."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = ord(char) - 48
        if index % 2:
            number *= 2
            if number > 9:
                number -= 9
        total += number
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = text.replace(" ", "").replace("-", "")
    if (
        13 <= len(digits) <= 19
        and digits[0] in _CARD_FIRST_DIGITS
        and len(set(digits)) > 1
        and luhn_valid(digits)
    ):
        return FILTERED
    return text


def random_looking(text: str) -> bool:
    """Letters and digits mixed at random rather than names (``Backend2024Berlin``,
    ``TimeToHireByDepartment2025Q1``): short words, many of one character."""
    words = _WORDS.findall(text)
    if not words:
        return False
    mean = sum(map(len, words)) / len(words)
    singles = sum(1 for word in words if len(word) == 1) / len(words)
    return mean < _RANDOM_MEAN or (mean < _WORDY and singles > _RANDOM_SINGLES)


def _mixed(text: str) -> bool:
    has_upper = has_lower = has_digit = False
    for char in text:
        if "A" <= char <= "Z":
            has_upper = True
        elif "a" <= char <= "z":
            has_lower = True
        elif "0" <= char <= "9":
            has_digit = True
    return has_upper and has_lower and has_digit


def _entropy(match: re.Match[str]) -> str:
    text = match.group(0)
    if not _mixed(text):
        return text
    if text.startswith("/"):
        # A path: only its random segments go.
        parts = [
            FILTERED if len(p) >= 16 and _mixed(p) and random_looking(p) else p
            for p in text.split("/")
        ]
        return "/".join(parts)
    return FILTERED if random_looking(text) else text


def scrub_numbers_and_runs(value: str) -> str:
    """Replace card numbers and long random runs."""
    if len(value) < MIN_CARD:
        return value
    value = _CARD.sub(_card, value)
    if len(value) < MIN_ENTROPY:
        return value
    return _HIGH_ENTROPY.sub(_entropy, value)
