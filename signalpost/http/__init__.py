"""HTTP: the pure ASGI middleware (:mod:`~signalpost.http.middleware`), its settings
(:class:`~signalpost.http.options.HttpOptions`) and request IDs
(:mod:`~signalpost.http.requestid`). See ``docs/http.md``."""

from __future__ import annotations

from signalpost.http.middleware import SignalpostMiddleware
from signalpost.http.options import HttpOptions

__all__ = ["HttpOptions", "SignalpostMiddleware"]
