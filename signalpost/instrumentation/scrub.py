"""Removing secrets from data before it leaves the process.

A :class:`Scrubber` walks mappings and sequences recursively and replaces

* the value of any key that names a secret (``authorization``, ``cookie``, ``password``,
  ``api_key``, ``token`` ...), matched case-insensitively after folding ``-`` to ``_``, and
* any part of a string that looks like one (bearer and basic credentials, JWTs, passwords in
  URLs, ``password=...`` pairs, well-known API key formats)

with ``[Filtered]``, as Sentry does. It also bounds what it returns: depth, items per
container and string length, so a huge or cyclic payload cannot blow up a log record.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote_plus

__all__ = [
    "DEFAULT_SECRET_KEYS",
    "FILTERED",
    "Scrubber",
    "default_scrubber",
    "luhn_valid",
    "truncate",
]

FILTERED = "[Filtered]"

DEFAULT_SECRET_KEYS: tuple[str, ...] = (
    "authorization",
    "proxy_authorization",
    "cookie",
    "set_cookie",
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "x_api_key",
    "access_key",
    "private_key",
    "credentials",
    "session",
    "csrf",
    "xsrf",
    "jwt",
    "signature",
    "dsn",
)

# Each pattern with the literals one of which its match must contain: a substring test in C
# skips a regex pass over text that cannot match (most text), which keeps scrubbing cheap.
# Literals in lower case are looked for in the lower-cased text.
_VALUE_PATTERNS: tuple[tuple[tuple[str, ...], bool, re.Pattern[str]], ...] = (
    # -----BEGIN ...----- blocks (private keys, certificates); a block cut short by truncation
    # is removed up to the end of the text.
    (
        ("-----BEGIN ",),
        False,
        re.compile(r"-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(?:-----END [A-Z0-9 ]+-----|$)"),
    ),
    # "Bearer abc.def", "Basic dXNlcjpwYXNz", "Token abc"
    (
        ("bearer", "basic", "token", "digest"),
        True,
        re.compile(r"(?i)\b(?:bearer|basic|token|digest)\s+(?!\[Filtered\])[A-Za-z0-9._~+/=-]{6,}"),
    ),
    # JSON Web Tokens (header.payload.signature)
    (("eyJ",), False, re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")),
    # scheme://user:password@host (the password may itself contain "@")
    (("://",), False, re.compile(r"(?<=://)[^\s/?#@:]*:[^\s/?#]*(?=@)")),
    # Provider keys: AWS access key IDs, GitHub, GitLab, Slack, Stripe, OpenAI/Anthropic,
    # Google API and OAuth, npm, SendGrid.
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

# Base64 runs of 40+ characters mixing upper case, lower case and digits: AWS secret access
# keys, PEM body lines whose BEGIN line was cut off, other random credentials. Hex digests
# (lower case only) are left alone.
_HIGH_ENTROPY = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{40,}={0,2}")
# Payment card numbers: 13 to 19 digits, optionally grouped by spaces or dashes.
_CARD = re.compile(r"(?<![\w.])\d(?:[ -]?\d){12,18}(?![\w.])")
# Secrets in prose: "password hunter2", "password: x", "the secret is x", "passwd=x".
_PROSE: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = (
    (
        ("pass", "pwd"),
        re.compile(
            r"(?i)\b(pass(?:word|wd|phrase)?|pwd)(\s+(?:is|was)\s+|\s*[:=]\s*|\s+)"
            r"(?!\[Filtered\])([^\s,;]+)"
        ),
    ),
    (
        ("secret", "key", "token"),
        re.compile(
            r"(?i)\b(secret|api[ _-]?key|access[ _-]?key|private[ _-]?key|token)"
            r"(\s+(?:is|was)\s+|\s*[:=]\s*)(?!\[Filtered\])([^\s,;]+)"
        ),
    ),
)

# Every literal above, looked for once in the lower-cased text: most text holds none, and one
# search is cheaper than a substring test per pattern.
_TRIGGERS = re.compile(
    "|".join(
        sorted(
            {re.escape(lit.lower()) for literals, _, _ in _VALUE_PATTERNS for lit in literals}
            | {re.escape(lit) for literals, _ in _PROSE for lit in literals}
        )
    )
)
_MIN_CARD = 13  # digits in the shortest card number
_MIN_ENTROPY = 40  # characters in the shortest high-entropy run

# key=value or key: value pairs inside free text (query strings, log messages, DSNs); the key is
# checked against the secret keys in the replacement function (a regex alternation of the keys
# inside [\w-]* backtracks quadratically).
_PAIR = re.compile(
    r"(?<![\w-])([\w-]+[\"']?\s*[=:]\s*)(?!\[Filtered\])(\"[^\"]*\"|'[^']*'|[^\s&,;)\]}]+)"
)
_PAIR_KEY = re.compile(r"[\w-]+")
# Paths worth running the text patterns on: key=value, user:password@, spaces.
_PATH_TEXT = re.compile(r"[=:@ ]")

# Path segments that introduce a secret in the next segment (/reset/<token>, /magic/<token>).
_PATH_SECRET_PREFIXES = frozenset(
    {
        "reset",
        "reset-password",
        "reset_password",
        "password-reset",
        "magic",
        "magic-link",
        "magic_link",
        "token",
        "tokens",
        "verify",
        "verify-email",
        "confirm",
        "invite",
        "invitation",
        "activate",
        "unsubscribe",
        "secret",
        "secrets",
        "password",
        "otp",
    }
)
_PATH_PART = re.compile(r"[-_.~]")


def _keep_prose_key(match: re.Match[str]) -> str:
    return match.group(1) + match.group(2) + FILTERED


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
    if 13 <= len(digits) <= 19 and len(set(digits)) > 1 and luhn_valid(digits):
        return FILTERED
    return text


def _entropy(match: re.Match[str]) -> str:
    text = match.group(0)
    has_upper = has_lower = has_digit = False
    for char in text:
        if "A" <= char <= "Z":
            has_upper = True
        elif "a" <= char <= "z":
            has_lower = True
        elif "0" <= char <= "9":
            has_digit = True
    return FILTERED if has_upper and has_lower and has_digit else text


def _token_like(segment: str) -> bool:
    """A path segment that looks like a random credential rather than a name or an ID."""
    if len(segment) < 20:
        return False
    if segment.startswith("eyJ") and segment.count(".") >= 2:
        return True
    for part in _PATH_PART.split(segment):
        if len(part) >= 16 and not part.isalpha() and not part.isdigit():
            return True
    return False


def truncate(value: str, limit: int, *, keep_tail: bool = False) -> str:
    """Cut ``value`` to about ``limit`` characters at a line or word boundary.

    The cut never leaves the start (or, with ``keep_tail``, the end) of a token in the text, so
    that a secret cut in two cannot escape the patterns as an unrecognisable half. A marker
    says how much was dropped.
    """
    if len(value) <= limit:
        return value
    if keep_tail:
        tail = value[-limit:]
        window = tail[:1024]
        cut = window.find("\n")
        if cut == -1:
            cut = window.find(" ")
        if cut != -1:
            tail = tail[cut + 1 :]
        return f"[{len(value) - len(tail)} chars truncated]...\n{tail}"
    head = value[:limit]
    cut = max(head.rfind("\n", limit - 1024), head.rfind(" ", limit - 1024))
    if cut > 0:
        head = head[:cut]
    return f"{head}...[{len(value) - len(head)} more chars]"


class Scrubber:
    """Recursively replaces secrets in mappings, sequences and strings.

    Args:
        secret_keys: Key fragments that mark a value as secret; a key matches when, lowercased
            and with ``-`` folded to ``_``, it contains one of them. Defaults to
            :data:`DEFAULT_SECRET_KEYS`.
        extra_keys: Fragments added to ``secret_keys`` (what configuration usually wants).
        max_depth: Containers nested deeper are replaced by a placeholder.
        max_items: Items kept per container; the rest are summarised.
        max_string: Characters kept per string.
    """

    def __init__(
        self,
        secret_keys: Iterable[str] | None = None,
        *,
        extra_keys: Iterable[str] = (),
        max_depth: int = 8,
        max_items: int = 100,
        max_string: int = 4096,
    ) -> None:
        keys = list(DEFAULT_SECRET_KEYS if secret_keys is None else secret_keys)
        keys.extend(extra_keys)
        self.secret_keys: tuple[str, ...] = tuple(
            dict.fromkeys(k.lower().replace("-", "_") for k in keys if k)
        )
        self.max_depth = max_depth
        self.max_items = max_items
        self.max_string = max_string
        self._key_cache: dict[str, bool] = {}

    def is_secret_key(self, key: object) -> bool:
        """Return whether a mapping key names a secret."""
        if not isinstance(key, str):
            return False
        cached = self._key_cache.get(key)
        if cached is None:
            folded = key.lower().replace("-", "_")
            cached = any(fragment in folded for fragment in self.secret_keys)
            if len(self._key_cache) >= 4096:  # keys from free text (IDs) must not fill it for good
                self._key_cache.clear()
            self._key_cache[key] = cached
        return cached

    def scrub_string(self, value: str) -> str:
        """Return ``value`` truncated to ``max_string`` and with secret-looking parts replaced."""
        return self.scrub_text(value, self.max_string)

    def scrub_text(self, value: str, limit: int, *, keep_tail: bool = False) -> str:
        """Truncate ``value`` to ``limit`` characters (see :func:`truncate`), then scrub it.

        Truncating first bounds the work whatever the input's size; ``keep_tail`` keeps the end
        (for stack traces, whose last frames matter most).
        """
        value = truncate(value, limit, keep_tail=keep_tail)
        lower = value.lower()
        triggered = _TRIGGERS.search(lower) is not None
        if triggered:
            for literals, fold, pattern in _VALUE_PATTERNS:
                text = lower if fold else value
                if any(literal in text for literal in literals):
                    value = pattern.sub(FILTERED, value)
        if self.secret_keys and ("=" in value or ":" in value):
            value = _PAIR.sub(self._pair_value, value)
        if triggered:
            for literals, prose in _PROSE:
                if any(literal in lower for literal in literals):
                    value = prose.sub(_keep_prose_key, value)
        if len(value) < _MIN_CARD:
            return value
        value = _CARD.sub(_card, value)
        if len(value) < _MIN_ENTROPY:
            return value
        return _HIGH_ENTROPY.sub(_entropy, value)

    def _pair_value(self, match: re.Match[str]) -> str:
        key = _PAIR_KEY.match(match.group(1))
        if key is not None and self.is_secret_key(key.group(0)):
            return match.group(1) + FILTERED
        return match.group(0)

    def scrub_query(self, query: str) -> str:
        """Return a URL query string decoded (``%xx``, ``+``) and scrubbed.

        Decoding first lets the patterns see ``password: x`` and ``a b`` as they were sent;
        the result is for people reading logs and traces, not for parsing.
        """
        if "%" in query or "+" in query:
            query = unquote_plus(query[: self.max_string * 3])
        return self.scrub_string(query)

    def scrub_path(self, path: str) -> str:
        """Return a URL path with secret segments replaced.

        Replaced: the segment after one that announces a secret (``/reset/<token>``,
        ``/magic-link/<token>``, ``/invite/<token>`` ...), JWT-like segments and long
        random-looking ones (a run of 16+ characters mixing letters and digits), and anything the
        text patterns catch. Names, numbers and UUIDs are kept. Cheap when nothing matches.
        """
        if len(path) > self.max_string:
            path = truncate(path, self.max_string)
        segments = path.split("/")
        changed = False
        previous = ""
        for index, segment in enumerate(segments):
            if segment and (
                (previous in _PATH_SECRET_PREFIXES and len(segment) >= 6) or _token_like(segment)
            ):
                segments[index] = FILTERED
                changed = True
            previous = segment.lower()
        if changed:
            path = "/".join(segments)
        if _PATH_TEXT.search(path) is not None:
            return self.scrub_string(path)
        return path

    def scrub(self, data: Any) -> Any:
        """Return a scrubbed copy of ``data``; the input is never modified.

        Mappings become dicts, lists/tuples/sets become lists, strings and bytes are scrubbed
        text, numbers, booleans and ``None`` pass unchanged, and any other object is replaced
        by its (scrubbed) ``repr``.
        """
        return self._scrub(data, 0, set())

    def _scrub(self, data: Any, depth: int, seen: set[int]) -> Any:
        if data is None or isinstance(data, bool | int | float):
            return data
        if isinstance(data, str):
            return self.scrub_string(data)
        if isinstance(data, bytes | bytearray):
            return self.scrub_string(bytes(data[: self.max_string]).decode("utf-8", "replace"))
        if depth >= self.max_depth:
            return "[max depth]"
        if isinstance(data, Mapping | list | tuple | set | frozenset):
            if id(data) in seen:
                return "[cycle]"
            seen.add(id(data))
            try:
                if isinstance(data, Mapping):
                    return self._scrub_mapping(data, depth, seen)
                return self._scrub_sequence(data, depth, seen)
            finally:
                seen.discard(id(data))
        try:
            text = repr(data)
        except Exception:
            text = f"<unrepresentable {type(data).__name__}>"
        return self.scrub_string(text)

    def _scrub_mapping(self, data: Mapping[Any, Any], depth: int, seen: set[int]) -> Any:
        out: dict[str, Any] = {}
        for index, (key, value) in enumerate(data.items()):
            if index >= self.max_items:
                out["[truncated]"] = f"{len(data) - self.max_items} more items"
                break
            name = key if isinstance(key, str) else str(key)
            if self.is_secret_key(name):
                out[name] = FILTERED
            else:
                out[name] = self._scrub(value, depth + 1, seen)
        return out

    def _scrub_sequence(self, data: Iterable[Any], depth: int, seen: set[int]) -> Any:
        out: list[Any] = []
        for index, value in enumerate(data):
            if index >= self.max_items:
                out.append(f"[truncated: more items than {self.max_items}]")
                break
            out.append(self._scrub(value, depth + 1, seen))
        return out


default_scrubber = Scrubber()
"""A scrubber with the default secret keys."""
