"""Alertmanager label matchers, in the ``matchers`` syntax of routes and inhibit rules."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["any_of", "eq"]


def eq(label: str, value: str) -> str:
    """``label="value"``."""
    return f'{label}="{value}"'


def any_of(label: str, values: Iterable[str]) -> str:
    """``label=~"a|b|c"``: the label is one of ``values``."""
    return f'{label}=~"{"|".join(values)}"'
