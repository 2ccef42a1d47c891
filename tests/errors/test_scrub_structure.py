"""Properties of the text scrubber's structure: a secret key's value goes wherever it sits (nested
mappings and lists dumped as JSON or repr, ``key=value`` runs, after an exception type), the
next pair is never swallowed, and text without secrets comes out unchanged."""

from __future__ import annotations

import json
import string
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

from signalpost.errors.scrub import FILTERED, Scrubber
from signalpost.errors.scrub_text import benign_value

SECRET_KEYS = ["password", "api_key", "X-Api-Key", "Authorization", "client_secret", "session_id",
               "refresh_token", "Set-Cookie", "accessToken", "csrf_token", "DATABASE_PASSWORD",
               "auth", "passwd", "private_key", "Cookie", "token"]  # fmt: skip
BENIGN_KEYS = ["tokens_used", "prompt_tokens", "session_count", "key_id", "secret_santa_enabled",
               "token_type", "sessions_active", "max_tokens", "job_id", "stage", "city", "status",
               "candidate", "headers", "weather", "payload", "password_policy", "key_rotation_days",
               "auth_method", "signature_valid"]  # fmt: skip
WORDS = ["berlin", "open", "screening", "offer", "remote", "python", "senior", "hired", "active",
         "interview", "basic", "digest", "reset", "expired", "bearer"]  # fmt: skip

secrets = (
    st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=10, max_size=30)
    .filter(lambda s: any(c.isdigit() for c in s) and any(c.isalpha() for c in s))
    .map(lambda s: "Q" + s + "7")
)
plain = st.sampled_from(WORDS) | st.integers(min_value=0, max_value=10**6)
benign_tree: st.SearchStrategy[Any] = st.recursive(
    plain,
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(BENIGN_KEYS), children, max_size=3),
    max_leaves=12,
)


def _render(data: Any, form: str) -> str:
    return json.dumps(data) if form == "json" else repr(data)


def _with_secret(tree: Any, path: list[int], key: str, secret: str) -> Any:
    """``tree`` with ``{key: secret, "job_id": "after-it"}`` put at a place chosen by ``path``."""
    leaf = {key: secret, "job_id": "after-it"}
    if not path:
        return {"payload": tree, "inner": leaf}
    if isinstance(tree, dict) and tree:
        keys = sorted(tree)
        chosen = keys[path[0] % len(keys)]
        return {**tree, chosen: _with_secret(tree[chosen], path[1:], key, secret)}
    if isinstance(tree, list) and tree:
        index = path[0] % len(tree)
        return [*tree[:index], _with_secret(tree[index], path[1:], key, secret), *tree[index + 1 :]]
    return {"weather": leaf, "city": tree}


@given(
    tree=benign_tree,
    path=st.lists(st.integers(min_value=0, max_value=5), max_size=4),
    key=st.sampled_from(SECRET_KEYS),
    secret=secrets,
    form=st.sampled_from(["json", "repr"]),
    prefix=st.sampled_from(["", "ValueError: ", "upstream said ", "headers: ", "KeyError: 'x' in "]),
)
def test_a_secret_key_s_value_goes_at_any_depth_and_the_next_pair_stays(
    tree: Any, path: list[int], key: str, secret: str, form: str, prefix: str
) -> None:
    text = prefix + _render(_with_secret(tree, path, key, secret), form)
    out = Scrubber().scrub_string(text)
    assert secret not in out
    assert "after-it" in out  # the pair after the secret was not swallowed
    # Only the secret's value changed: everything around it is as it was.
    quoted = json.dumps(secret) if form == "json" else repr(secret)
    assert out == text.replace(quoted, FILTERED)


@given(tree=benign_tree, form=st.sampled_from(["json", "repr"]))
def test_mappings_and_lists_without_secrets_pass_unchanged(tree: Any, form: str) -> None:
    text = _render(tree, form)
    assert Scrubber().scrub_string(text) == text


@given(
    pairs=st.lists(
        st.tuples(st.sampled_from(BENIGN_KEYS), plain.map(str))
        | st.tuples(st.sampled_from(SECRET_KEYS), secrets),
        min_size=1,
        max_size=6,
    ),
    glue=st.sampled_from([" ", "&", ", ", "; "]),
    sep=st.sampled_from(["=", ": ", " = "]),
    prefix=st.sampled_from(["", "ValueError: ", "RuntimeError: upstream refused ", "GET /x?"]),
)
def test_key_value_runs_lose_exactly_the_secret_values(
    pairs: list[tuple[str, str]], glue: str, sep: str, prefix: str
) -> None:
    assume(sep != ": " or glue != "&")
    text = prefix + glue.join(f"{key}{sep}{value}" for key, value in pairs)
    out = Scrubber().scrub_string(text)
    expected = prefix + glue.join(
        f"{key}{sep}{FILTERED if key in SECRET_KEYS and not benign_value(value) else value}"
        for key, value in pairs
    )
    if glue == "; " and any(key in ("Set-Cookie", "Cookie") for key, _ in pairs):
        # A cookie header's value runs on over "; name=value" pairs: they are its cookies.
        assert all(value not in out for key, value in pairs if key in SECRET_KEYS)
        return
    assert out == expected
