"""HTTP: the pure ASGI middleware (:mod:`~signalpost.http.middleware`) and request IDs
(:mod:`~signalpost.http.requestid`). See ``docs/http.md``."""

from __future__ import annotations

from signalpost.http.middleware import SignalpostMiddleware

__all__ = ["SignalpostMiddleware"]
