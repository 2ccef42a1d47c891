"""The generator takes metric names from the definitions and escapes label values correctly."""

from __future__ import annotations

import json
import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from prometheus.promql import matcher_regex
from signalpost.semconv import ALL_METRICS

ROOT = Path(__file__).resolve().parents[2]


def test_no_metric_name_is_typed_in_the_generator_or_its_tests() -> None:
    sources = [*(ROOT / "prometheus").glob("*.py"), *(ROOT / "tests" / "prometheus").glob("*.py")]
    assert len(sources) > 10
    for path in sources:
        text = path.read_text(encoding="utf-8")
        for spec in ALL_METRICS:
            assert spec.name not in text, f"{path.name} types {spec.name}"


# Label values: any printable text, quotes and backslashes included.
VALUES = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=12)


@given(st.lists(VALUES, min_size=1, max_size=4), VALUES)
def test_matcher_regex_matches_exactly_the_values(values: list[str], other: str) -> None:
    literal = matcher_regex(values)
    # What PromQL's double-quoted string literal makes of it (the same escapes as JSON's).
    compiled = re.compile(json.loads(f'"{literal}"'), re.DOTALL)
    for value in values:
        assert compiled.fullmatch(value)
    if other not in values:
        assert not compiled.fullmatch(other)
