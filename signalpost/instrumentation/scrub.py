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

__all__ = ["DEFAULT_SECRET_KEYS", "FILTERED", "Scrubber", "default_scrubber"]

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

_VALUE_PATTERNS: tuple[re.Pattern[str], ...] = (
    # "Bearer abc.def", "Basic dXNlcjpwYXNz", "Token abc"
    re.compile(r"(?i)\b(bearer|basic|token|digest)\s+[A-Za-z0-9._~+/=-]{6,}"),
    # JSON Web Tokens
    re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),
    # scheme://user:password@host
    re.compile(r"(?<=://)[^/\s:@]+:[^/\s@]+(?=@)"),
    # AWS access key IDs, GitHub, Slack, Stripe and OpenAI style keys
    re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}\b"),
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"),
    re.compile(r"\b(sk|pk|rk)_(live|test)_[A-Za-z0-9]{10,}\b"),
    re.compile(r"\bsk-[A-Za-z0-9_-]{20,}\b"),
    # -----BEGIN PRIVATE KEY----- blocks
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)"),
)

# key=value or key: value pairs inside free text (query strings, log messages, DSNs).
_PAIR_TEMPLATE = (
    r"(?i)(\b[\w-]*(?:{keys})[\w-]*\b[\"']?\s*[=:]\s*)(?!\[Filtered\])"
    r"(\"[^\"]*\"|'[^']*'|[^\s&,;)\]}}]+)"
)


def _keep_key(match: re.Match[str]) -> str:
    return match.group(1) + FILTERED


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
        alternation = "|".join(
            re.escape(k).replace("_", "[_-]?") for k in sorted(self.secret_keys, key=len)[::-1]
        )
        self._pair = re.compile(_PAIR_TEMPLATE.format(keys=alternation)) if alternation else None

    def is_secret_key(self, key: object) -> bool:
        """Return whether a mapping key names a secret."""
        if not isinstance(key, str):
            return False
        cached = self._key_cache.get(key)
        if cached is None:
            folded = key.lower().replace("-", "_")
            cached = any(fragment in folded for fragment in self.secret_keys)
            if len(self._key_cache) < 4096:
                self._key_cache[key] = cached
        return cached

    def scrub_string(self, value: str) -> str:
        """Return ``value`` truncated and with secret-looking parts replaced."""
        if len(value) > self.max_string:
            value = value[: self.max_string] + f"...[{len(value) - self.max_string} more chars]"
        for pattern in _VALUE_PATTERNS:
            value = pattern.sub(FILTERED, value)
        if self._pair is not None:
            value = self._pair.sub(_keep_key, value)
        return value

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
