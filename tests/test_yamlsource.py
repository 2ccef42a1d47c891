"""The YAML reader shared by the settings file and the schema spec."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from signalpost._yamlsource import YamlProblem, parse, shown


def test_lines_of_nested_keys_and_list_items() -> None:
    located = parse("a:\n  b: 1\n  c:\n    - x\n    - y: 2\n")
    assert located.data == {"a": {"b": 1, "c": ["x", {"y": 2}]}}
    assert located.line_of(("a", "b")) == 2
    assert located.line_of(("a", "c", 1, "y")) == 5
    assert located.line_of(("a", "c", 1, "missing")) == 5


@given(st.text(max_size=300))
def test_any_text_parses_or_raises_a_short_problem(text: str) -> None:
    try:
        parse(text)
    except YamlProblem as problem:
        assert len(problem.expected) < 200
        assert problem.got is None or len(problem.got) <= 120


@given(st.text(max_size=5000))
def test_shown_values_are_short(value: str) -> None:
    assert len(shown(value)) <= 60
