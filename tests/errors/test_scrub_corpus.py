"""The scrubber measured both ways on the corpora of ``tests/errors/scrub_corpus``:
no secret gets through, no benign message is altered. The figures are recorded as test
properties (``--junitxml``) and printed by ``python -m tests.errors.scrub_corpus``."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from signalpost.errors.scrub import Scrubber
from tests.errors.scrub_corpus import BENIGN, LEAKS, Leak, measure


def test_the_corpora_are_large_enough() -> None:
    assert len(BENIGN) >= 300 and len(set(BENIGN)) == len(BENIGN)
    assert len(LEAKS) >= 70


def test_zero_leaks_and_zero_false_positives(
    record_property: Callable[[str, object], None],
) -> None:
    figures = measure(Scrubber().scrub_string)
    record_property("scrub_leaks", len(figures.leaked))
    record_property("scrub_false_positives", len(figures.altered))
    assert not figures.leaked, [leak.name for leak in figures.leaked]
    assert not figures.altered, figures.altered


@pytest.mark.parametrize("leak", LEAKS, ids=lambda leak: leak.name)
def test_each_leak_is_scrubbed_where_the_secret_was(leak: Leak) -> None:
    out = Scrubber().scrub_string(leak.text)
    assert leak.secret not in out and "[Filtered]" in out


@pytest.mark.parametrize("text", BENIGN)
def test_each_benign_message_is_kept(text: str) -> None:
    assert Scrubber().scrub_string(text) == text
