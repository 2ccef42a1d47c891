"""From an alert to the request or job behind it: the trace and log store and its readers.

- :mod:`signalpost.lookup.schema`: the store's tables (PostgreSQL), partitions and retention;
- :mod:`signalpost.lookup.localstore`: reads the local store (the ``postgres`` extra);
- :mod:`signalpost.lookup.remote`: reads Tempo and Loki over HTTP (the compose stack);
- :mod:`signalpost.lookup.model`: what they return, in one wire form.

``python -m signalpost lookup ID``, ``runs`` and ``errors`` (``signalpost.cli.lookup``) print
them. The receiver that fills the store runs in the local stack (``collector.receiver``).
"""

from __future__ import annotations

from signalpost.lookup.model import Finding, LogEntry, Run, Span, Trace

__all__ = ["Finding", "LogEntry", "Run", "Span", "Trace"]
