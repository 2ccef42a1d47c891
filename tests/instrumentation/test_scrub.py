from __future__ import annotations

import string
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signalpost.instrumentation.scrub import FILTERED, Scrubber


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abc.def.ghi", "Authorization: [Filtered]"),
        ("x (token=sk-demo-secret-value) y", "x (token=[Filtered]) y"),
        ('{"password": "hunter2", "user": "bob"}', '{"password": [Filtered], "user": "bob"}'),
        (
            "postgresql://app:s3cr3t@db:5432/app?sslmode=require",
            "postgresql://[Filtered]@db:5432/app?sslmode=require",
        ),
        ("GET /x?api_key=abc123&page=2", "GET /x?api_key=[Filtered]&page=2"),
        ("key AKIAABCDEFGHIJKLMNOP used", "key [Filtered] used"),
        ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-nature_", "jwt [Filtered]"),
        ("ghp_" + "a" * 36, FILTERED),
        ("nothing secret here: 42 candidates", "nothing secret here: 42 candidates"),
    ],
)
def test_secret_values_in_text(text: str, expected: str) -> None:
    assert Scrubber().scrub_string(text) == expected


def test_recursive_by_key_and_value_without_mutating_input() -> None:
    data: dict[str, Any] = {
        "headers": {"Authorization": "Basic dXNlcjpwYXNz", "Accept": "json", "X-Api-Key": "k"},
        "cookies": ["a=b"],
        "nested": [{"client_secret": "s", "note": "call with password=pw1"}, ("ok", 1, None)],
        "count": 3,
        "ratio": 0.5,
        "flag": True,
    }
    original = repr(data)
    out = Scrubber().scrub(data)
    assert repr(data) == original
    assert out["headers"] == {"Authorization": FILTERED, "Accept": "json", "X-Api-Key": FILTERED}
    assert out["cookies"] == FILTERED
    assert out["nested"][0] == {"client_secret": FILTERED, "note": "call with password=[Filtered]"}
    assert out["nested"][1] == ["ok", 1, None]
    assert (out["count"], out["ratio"], out["flag"]) == (3, 0.5, True)


def test_extra_keys_from_configuration() -> None:
    scrubber = Scrubber(extra_keys=["ssn", "candidate-email"])
    out = scrubber.scrub({"SSN": "123", "candidate_email": "a@b.c", "name": "Ann"})
    assert out == {"SSN": FILTERED, "candidate_email": FILTERED, "name": "Ann"}


def test_bounds_depth_size_and_cycles() -> None:
    scrubber = Scrubber(max_depth=3, max_items=5, max_string=10)
    cyclic: list[Any] = [1]
    cyclic.append(cyclic)
    out = scrubber.scrub(
        {"deep": {"a": {"b": {"c": 1}}}, "many": list(range(50)), "long": "x" * 100, "cyc": cyclic}
    )
    assert out["deep"] == {"a": {"b": "[max depth]"}}
    assert len(out["many"]) == 6 and out["many"][-1].startswith("[truncated")
    assert out["long"].startswith("x" * 10) and "90 more chars" in out["long"]
    assert out["cyc"] == [1, "[cycle]"]


def test_unrepresentable_objects() -> None:
    class Bad:
        def __repr__(self) -> str:
            raise RuntimeError("no")

    assert Scrubber().scrub({"o": Bad()}) == {"o": "<unrepresentable Bad>"}


secret_values = st.text(alphabet=string.ascii_letters + string.digits, min_size=8, max_size=40)
json_like: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


@given(
    secret=secret_values,
    payload=json_like,
    key=st.sampled_from(["password", "Authorization", "X-API-KEY", "session_id", "refresh_token"]),
)
def test_a_secret_under_a_secret_key_never_survives(secret: str, payload: Any, key: str) -> None:
    data = {"payload": payload, "inner": [{key: secret}], key: secret}
    out = Scrubber().scrub(data)
    assert out[key] == FILTERED
    assert out["inner"] == [{key: FILTERED}]
    assert secret not in Scrubber().scrub_string(f"{key}={secret}")


@given(json_like)
def test_scrub_never_raises_and_is_idempotent(data: Any) -> None:
    scrubber = Scrubber()
    once = scrubber.scrub(data)
    assert scrubber.scrub(once) == once


@given(st.text(max_size=300))
def test_scrub_string_never_raises(text: str) -> None:
    assert isinstance(Scrubber().scrub_string(text), str)
