"""The test session's throwaway PostgreSQL cluster: initdb on a free port, deleted at the end.

The cluster is shared by the whole session (several conftest files ask for it) through
:func:`acquire` and :func:`release`, which count references. The server itself is
:class:`demo.postgres.PostgresServer` (fsync off, loopback only, trust authentication).
"""

from __future__ import annotations

import threading

from demo.postgres import PostgresServer

__all__ = ["PostgresServer", "acquire", "release"]

_lock = threading.Lock()
_server: PostgresServer | None = None
_users = 0


def acquire() -> PostgresServer:
    """Return the session's running server, creating and starting it on first use."""
    global _server, _users
    with _lock:
        if _server is None:
            server = PostgresServer()
            try:
                server.start()
            except BaseException:
                server.destroy()
                raise
            _server = server
        _users += 1
        if not _server.is_running():
            _server.start()
        return _server


def release() -> None:
    """Drop one reference; the last one stops and deletes the cluster."""
    global _server, _users
    with _lock:
        _users -= 1
        if _users <= 0 and _server is not None:
            _server.destroy()
            _server = None
            _users = 0
