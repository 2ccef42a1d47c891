"""Deprecated aliases of modules that moved in the layout by feature (kept for one release)."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from types import ModuleType
from typing import Any

__all__ = ["moved"]


def moved(old: str, new: str) -> Callable[[str], Any]:
    """Warn that ``old`` moved to ``new``; return the ``__getattr__`` that forwards to it.

    Called at the import of the alias module ``old``: the warning names the importer's line.
    """
    warnings.warn(
        f"{old} is deprecated: import {new} instead", DeprecationWarning, stacklevel=3
    )
    target: ModuleType = importlib.import_module(new)

    def forward(name: str) -> Any:
        return getattr(target, name)

    return forward
