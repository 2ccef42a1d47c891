"""The one glob matcher for paths (``/health/*``): HTTP exclusions and access-log filtering."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable

__all__ = ["path_matcher"]


def path_matcher(patterns: Iterable[str]) -> Callable[[str], bool]:
    """Compile exact paths and glob patterns once into one predicate.

    Exact paths are a set lookup, prefixes (``/health/*``) one ``startswith``; the other globs
    (``*``, ``?``, ``[...]`` as :mod:`fnmatch` reads them, ``*`` also crossing ``/``) one
    regular expression. Empty patterns match nothing.
    """
    patterns = [p for p in patterns if p]
    exact = frozenset(p for p in patterns if not any(c in p for c in "*?["))
    # Checked on every request: a prefix test costs a third of a regular expression's match.
    prefixes = tuple(
        p[:-1] for p in patterns if p.endswith("*") and not any(c in p[:-1] for c in "*?[")
    )
    globs = [
        fnmatch.translate(p)
        for p in patterns
        if p not in exact and not (p.endswith("*") and p[:-1] in prefixes)
    ]
    if not globs:
        if not prefixes:
            return exact.__contains__

        def matches_prefix(path: str) -> bool:
            return path in exact or path.startswith(prefixes)

        return matches_prefix
    match = re.compile("|".join(globs)).match

    def matches(path: str) -> bool:
        return path in exact or path.startswith(prefixes) or match(path) is not None

    return matches
