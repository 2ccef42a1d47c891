"""The scrubber measured both ways: leaks (secrets that get through) and false positives
(benign messages altered).

* ``leaks.jsonl``: one ``{"name", "secret", "text"}`` per line, secrets as they show up in nested
  mappings, headers dumped as dicts or tuple lists, repr'd objects, ``key=value`` after an
  exception type; with :data:`tests.secrets_fixture.SECRETS` they form the leak corpus.
* ``benign.txt``: log and exception messages of a recruiting service, one per line, that mention
  passwords, tokens, keys, sessions and digests without carrying a secret; each must come out
  unchanged.

``python -m tests.errors.scrub_corpus`` prints the figures.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.secrets_fixture import SECRETS

__all__ = ["BENIGN", "LEAKS", "Figures", "Leak", "measure"]

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Leak:
    name: str
    secret: str
    text: str


def _leaks() -> tuple[Leak, ...]:
    extra = [
        Leak(**json.loads(line))
        for line in (HERE / "leaks.jsonl").read_text().splitlines()
        if line.strip()
    ]
    return tuple(Leak(s.name, s.value, s.text) for s in SECRETS) + tuple(extra)


def _benign() -> tuple[str, ...]:
    lines = (HERE / "benign.txt").read_text().splitlines()
    return tuple(line for line in lines if line and not line.startswith("# "))


LEAKS = _leaks()
BENIGN = _benign()


@dataclass(frozen=True)
class Figures:
    leaked: tuple[Leak, ...]
    altered: tuple[tuple[str, str], ...]  # (message, what came out)

    def summary(self) -> str:
        return (
            f"leaks: {len(self.leaked)} of {len(LEAKS)} secrets; "
            f"false positives: {len(self.altered)} of {len(BENIGN)} benign messages"
        )


def measure(scrub: Callable[[str], str]) -> Figures:
    """Run both corpora through ``scrub`` (a ``Scrubber().scrub_string``)."""
    leaked = tuple(leak for leak in LEAKS if leak.secret in scrub(leak.text))
    altered = tuple((text, out) for text in BENIGN if (out := scrub(text)) != text)
    return Figures(leaked, altered)
