"""Deprecated: moved to :mod:`signalpost.integrations.arq.jobs`.

This alias goes in the next release.
"""

from __future__ import annotations

from typing import Any

from signalpost._moved import moved

_forward = moved(__name__, "signalpost.integrations.arq.jobs")


def __getattr__(name: str) -> Any:
    return _forward(name)
