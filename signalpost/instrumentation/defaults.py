"""Deprecated: the shared collaborators are :mod:`signalpost.runtime` now.

``Defaults`` is :class:`signalpost.runtime.Runtime`; :func:`current` and :func:`reset` are
the runtime's. Kept for one release.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

from signalpost.runtime import Runtime, current, reset
from signalpost.runtime import install as _install

__all__ = ["BUILTIN", "Defaults", "current", "install", "reset", "uninstall"]

warnings.warn(
    "signalpost.instrumentation.defaults is deprecated; use signalpost.runtime",
    DeprecationWarning,
    stacklevel=2,
)

Defaults = Runtime
BUILTIN = Runtime()
"""A runtime of the process-wide collaborators."""

_undo: dict[int, tuple[Runtime, Callable[[], None]]] = {}


def install(defaults: Runtime) -> None:
    """Deprecated: :func:`signalpost.runtime.install`."""
    _undo[id(defaults)] = (defaults, _install(defaults))


def uninstall(defaults: Runtime) -> None:
    """Deprecated: call the undo :func:`signalpost.runtime.install` returned."""
    found = _undo.pop(id(defaults), None)
    if found is not None:
        found[1]()
