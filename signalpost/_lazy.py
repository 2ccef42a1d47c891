"""Names a package loads on first use (PEP 562): :func:`load`."""

from __future__ import annotations

import importlib
from collections.abc import Mapping, MutableMapping
from typing import Any

__all__ = ["load"]


def load(
    package: str,
    homes: Mapping[str, str],
    name: str,
    cache: MutableMapping[str, Any] | None = None,
) -> Any:
    """The attribute ``name`` of ``package``, imported from its module in ``homes``.

    For a package's ``__getattr__``: so that ``import package`` stays cheap and a name needing
    an optional extra names it only when asked for. ``cache`` (the package's ``globals()``)
    keeps the value, so the next access does not come here.

    Raises:
        AttributeError: ``name`` is not one of the package's names loaded on first use.
    """
    home = homes.get(name)
    if home is None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    if cache is not None:
        cache[name] = value
    return value
