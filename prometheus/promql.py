"""Small PromQL builders shared by the rule generators: selectors, aggregations, numbers."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import cast

from prometheus_client import utils

__all__ = [
    "by",
    "counted",
    "eq",
    "le_value",
    "match",
    "matcher_regex",
    "ne",
    "no_match",
    "num",
    "selector",
    "string",
    "zero_if_absent",
]


_META = re.compile(r"([.^$*+?()\[\]{}|\\])")


def string(text: str) -> str:
    """``text`` escaped for a double-quoted PromQL string literal (without the quotes)."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def matcher_regex(values: Iterable[str]) -> str:
    """A ``=~`` regex matching exactly the given label values, escaped for a PromQL string.

    Only RE2 metacharacters are escaped (``re.escape`` also escapes ``-``, which RE2 accepts
    but a PromQL string literal rejects), then the whole is escaped as a string literal.
    """
    return string("|".join(_META.sub(r"\\\1", v) for v in values))


def selector(metric: str, *matchers: str) -> str:
    """``metric{m1, m2}`` (or the bare metric without matchers)."""
    return f"{metric}{{{', '.join(matchers)}}}" if matchers else metric


def by(labels: Iterable[str]) -> str:
    """``by (a, b)``."""
    return f"by ({', '.join(labels)})"


def zero_if_absent(expr: str, reference: str) -> str:
    """``expr``, or 0 for every series of ``reference`` it lacks.

    An error counter that never incremented has no series; without this an error ratio would be
    absent instead of 0 and an SLO expression built on it would silently vanish.
    """
    return f"({expr} or 0 * {reference})"


def counted(
    fn: str, sel: str, window: str, window_seconds: float, labels: Iterable[str], scraped: str
) -> str:
    """``sum by (labels) (fn(sel[window]))`` that also counts each series' first sample.

    prometheus-client creates a labelled series on first use with its first value (a first
    5xx appears at 1): ``rate``/``increase`` need two samples and never count it. A series
    absent ``window`` ago is new when its target (``scraped``, its ``up``) was scraped more
    often within the window than the series has samples: it appeared in a scrape after the
    target's first, so its first value is an increase from 0. A series Prometheus sees at
    the same time as its target (Prometheus's own restart, a replica it did not scrape
    before) holds old totals: left out, so they never count as a burst of new events.
    ``fn`` is ``rate`` (the first value spread over ``window_seconds``) or ``increase``.
    """
    agg = by(labels)
    moved = f"sum {agg} ({fn}({sel}[{window}]))"
    new = f"(min_over_time({sel}[{window}]) unless {sel} offset {window})"
    later = (
        f"count_over_time({sel}[{window}]) "
        # max by: one right-hand series per target even if ``up`` carries extra labels.
        f"< on (job, instance) group_left max by (job, instance) "
        f"(count_over_time({scraped}[{window}]))"
    )
    first = f"({new} and ({later}))"
    if fn == "rate":
        first = f"{first} / {num(window_seconds)}"
    appeared = f"sum {agg} ({first})"
    return f"({moved} + ({appeared} or 0 * {moved}) or {appeared})"


def num(value: float) -> str:
    """A number as PromQL literal, without float noise (0.0144, not 0.014400000000000001)."""
    return f"{value:.10g}"


def le_value(bound: float) -> str:
    """The ``le`` label value prometheus-client writes for a bucket bound (``0.5``, ``1.0``)."""
    go_string = cast(Callable[[float], str], utils.floatToGoString)
    return go_string(bound)


def eq(label: str, value: str) -> str:
    """``label="value"``."""
    return f'{label}="{string(value)}"'


def ne(label: str, value: str) -> str:
    """``label!="value"``."""
    return f'{label}!="{value}"'


def match(label: str, regex: str) -> str:
    """``label=~"regex"``."""
    return f'{label}=~"{regex}"'


def no_match(label: str, regex: str) -> str:
    """``label!~"regex"``."""
    return f'{label}!~"{regex}"'
