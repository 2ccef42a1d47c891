"""The one path matcher agrees with fnmatch on every pattern and path."""

from __future__ import annotations

import fnmatch

from hypothesis import given
from hypothesis import strategies as st

from signalpost.globs import path_matcher

PARTS = st.sampled_from(["/", "health", "metrics", "*", "?", "[ab]", "a", "b", "v1", "."])
PATTERN = st.lists(PARTS, min_size=1, max_size=6).map("".join)
PATH = st.lists(st.sampled_from(["/", "health", "metrics", "a", "b", "v1", ".", "x"]), max_size=6)


@given(patterns=st.lists(PATTERN, max_size=4), path=PATH.map("".join))
def test_matches_what_fnmatch_matches(patterns: list[str], path: str) -> None:
    expected = any(fnmatch.fnmatchcase(path, p) for p in patterns if p)
    assert path_matcher(patterns)(path) is expected


def test_exact_paths_and_globs() -> None:
    excluded = path_matcher(["/metrics", "/health/*", ""])
    assert excluded("/metrics") and excluded("/health/live") and excluded("/health/a/b")
    assert not excluded("/metrics/x") and not excluded("/health") and not excluded("")
