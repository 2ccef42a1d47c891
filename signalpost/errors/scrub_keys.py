"""Which mapping keys (and ``key=value`` keys in text) name a secret, matched on whole words.

A key is cut into words at separators and case changes (``X-Api-Key``, ``apiKey``,
``api_key`` → ``api key``). It names a secret when a secret name's words end it, followed at most
by words that still mean the secret itself (``session id``, ``api key value``, ``password
hash``), or when it is one word made of a secret name and such an affix (``apikey``,
``sessionid``, ``accesstoken``). Words around a name that make it something else keep it
(``tokens_used``, ``prompt_tokens``, ``secret_santa_enabled``, ``session_count``, ``key_id``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["PREFIXES", "SUFFIXES", "SecretKeys", "key_words"]

_SEPARATORS = re.compile(r"[^A-Za-z0-9]+")
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
# Words after a secret's name that still name the secret's value.
SUFFIXES = frozenset(
    {"id", "key", "value", "hash", "header", "b64", "base64", "raw", "str", "pem", "der"}
)
# Words glued in front of a secret's name in one-word keys (``accesstoken``, ``csrftoken``).
PREFIXES = frozenset(
    {
        "access", "refresh", "auth", "id", "csrf", "xsrf", "api", "client", "bearer", "user",
        "db", "admin", "root", "app", "private", "secret", "x", "set", "proxy", "oauth",
        "master", "mysql", "redis", "smtp", "webhook", "signing", "session",
    }
)  # fmt: skip


def key_words(key: str) -> tuple[str, ...]:
    """The lower-case words of ``key``: ``"X-ApiKey_v2"`` → ``("x", "api", "key", "v2")``."""
    words: list[str] = []
    for part in _SEPARATORS.split(key):
        if not part:
            continue
        if part.islower() or part.isupper() or part.isdigit():
            words.append(part.lower())
        else:
            words.extend(w.lower() for w in _CAMEL.findall(part))
    return tuple(words)


class SecretKeys:
    """Secret names (``api_key``, ``password`` ...) and the test whether a key names one."""

    __slots__ = ("_by_first", "_joined", "names")

    def __init__(self, names: Iterable[str]) -> None:
        patterns = dict.fromkeys(w for w in (key_words(n) for n in names) if w)
        self.names: tuple[tuple[str, ...], ...] = tuple(patterns)
        self._by_first: dict[str, list[tuple[str, ...]]] = {}
        for words in self.names:
            self._by_first.setdefault(words[0], []).append(words)
        self._joined = frozenset("".join(words) for words in self.names)

    def __bool__(self) -> bool:
        return bool(self.names)

    def matches(self, key: str) -> bool:
        """Whether ``key`` names a secret (see the module's rules)."""
        words = key_words(key)
        for index, word in enumerate(words):
            rest = words[index + 1 :]
            for name in self._by_first.get(word, ()):
                end = index + len(name)
                if words[index:end] == name and all(w in SUFFIXES for w in words[end:]):
                    return True
            if all(w in SUFFIXES for w in rest) and self._one_word(word):
                return True
        return False

    def _one_word(self, word: str) -> bool:
        if word in self._joined:
            return True
        for name in self._joined:
            if len(word) > len(name):
                if word.endswith(name) and word[: -len(name)] in PREFIXES:
                    return True
                if word.startswith(name) and word[len(name) :] in SUFFIXES:
                    return True
        return False
