"""The one glob matcher for paths (``/health/*``): HTTP exclusions and access-log filtering."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable

__all__ = ["path_matcher"]


def path_matcher(patterns: Iterable[str]) -> Callable[[str], bool]:
    """Compile exact paths and glob patterns once into one predicate.

    Exact paths are a set lookup; the globs (``*``, ``?``, ``[...]`` as :mod:`fnmatch` reads
    them, ``*`` also crossing ``/``) one regular expression. Empty patterns match nothing.
    """
    patterns = [p for p in patterns if p]
    exact = frozenset(p for p in patterns if not any(c in p for c in "*?["))
    globs = [fnmatch.translate(p) for p in patterns if p not in exact]
    if not globs:
        return exact.__contains__
    match = re.compile("|".join(globs)).match

    def matches(path: str) -> bool:
        return path in exact or match(path) is not None

    return matches
