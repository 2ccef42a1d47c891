"""Removing secrets from data before it leaves the process.

A :class:`Scrubber` walks mappings and sequences recursively and replaces

* the value of any key that names a secret (``authorization``, ``cookie``, ``password``,
  ``api_key``, ``token`` ...), matched on whole words of the key (:mod:`.scrub_keys`), and
* any part of a string that holds one (:mod:`.scrub_text`): secret keys' values in
  ``key=value`` pairs, dict and header reprs, bearer and basic credentials, JWTs, passwords in
  URLs, well-known API key formats, card numbers, random runs, passwords in prose

with ``[Filtered]``, as Sentry does, and keeps ordinary words, counters (``tokens_used``),
placeholders, code and validation messages. It also bounds what it returns: depth, items per
container and string length, so a huge or cyclic payload cannot blow up a log record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote_plus

from signalpost.errors.scrub_keys import SecretKeys
from signalpost.errors.scrub_path import filter_secret_segments, may_hold_text_secret
from signalpost.errors.scrub_text import (
    FILTERED,
    luhn_valid,
    scrub_numbers_and_runs,
    scrub_pairs,
    scrub_prose,
    scrub_shapes,
    triggered,
)

__all__ = [
    "DEFAULT_SECRET_KEYS",
    "FILTERED",
    "Scrubber",
    "default_scrubber",
    "luhn_valid",
    "truncate",
]

DEFAULT_SECRET_KEYS: tuple[str, ...] = (
    "authorization",
    "proxy_authorization",
    "cookie",
    "cookies",
    "set_cookie",
    "password",
    "passwd",
    "passphrase",
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
    "auth",
)


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
        secret_keys: Names that mark a value as secret, matched on whole words of a key
            (``api_key`` matches ``X-Api-Key``, ``apiKey`` and ``stripe.api_key_id``, not
            ``api_key_count``; ``token`` matches ``refresh_token``, not ``tokens_used``; see
            :mod:`signalpost.errors.scrub_keys`). Defaults to
            :data:`DEFAULT_SECRET_KEYS`.
        extra_keys: Names added to ``secret_keys`` (what configuration usually wants).
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
        self._keys = SecretKeys(self.secret_keys)
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
            cached = self._keys.matches(key)
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
        (for stack traces, whose last frames matter most). See
        :mod:`signalpost.errors.scrub_text` for what is replaced and what is kept.
        """
        value = truncate(value, limit, keep_tail=keep_tail)
        # Structure first: a shape replaced first could take a key with it.
        if self._keys and ("=" in value or ":" in value or "," in value):
            value = scrub_pairs(value, self.is_secret_key)
        lower = value.lower()
        if triggered(lower):
            value = scrub_prose(scrub_shapes(value, lower))
        return scrub_numbers_and_runs(value)

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
        path = filter_secret_segments(path)
        if may_hold_text_secret(path):
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
