"""What ``signalpost.instrumentation.defaults`` was: the shared collaborators are
:mod:`signalpost.runtime` now.

``Defaults`` is :class:`signalpost.runtime.Runtime`; :func:`current` and :func:`reset` are
the runtime's. Kept for one release, served under its old path by :mod:`signalpost._moved`
(which warns); nothing imports it under this name.
"""

from __future__ import annotations

from collections.abc import Callable

from signalpost.runtime import Runtime, current, reset
from signalpost.runtime import install as _install

__all__ = ["BUILTIN", "Defaults", "current", "install", "reset", "uninstall"]

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
