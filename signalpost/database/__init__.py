"""Statement timing and tracing for psycopg 3: connections, async connections and pools.

Every statement run through an instrumented connection (``cur.execute``, ``cur.executemany``,
``conn.execute``) is recorded in ``db_client_operation_duration_seconds`` and as a CLIENT span
under the current trace. Example::

    db = DatabaseInstrumentation()
    conn = db.connect("dbname=app")                       # or db.instrument(conn)
    pool = ConnectionPool("dbname=app", configure=db.configure)
    apool = AsyncConnectionPool("dbname=app", configure=db.configure_async)

See ``docs/database.md``.
"""

from __future__ import annotations

import threading
from typing import Any, TypeVar, Unpack

from opentelemetry.trace import TracerProvider
from prometheus_client import CollectorRegistry

from signalpost import runtime
from signalpost._extras import missing_extra
from signalpost.database.cursors import async_cursor_class, cursor_class
from signalpost.database.recorder import StatementRecorder
from signalpost.runtime import Collaborators, Runtime, deprecated_collaborators

try:
    import psycopg
except ImportError as _error:  # the 'postgres' extra is not installed
    raise missing_extra("postgres", _error) from _error

__all__ = ["DatabaseInstrumentation", "instrument_connection"]

_COLLABORATORS = ("registry", "tracer_provider", "classifier", "scrubber", "clock")

_Conn = TypeVar("_Conn", psycopg.Connection[Any], psycopg.AsyncConnection[Any])


class DatabaseInstrumentation:
    """Instruments psycopg 3 connections; create one per registry and tracer provider.

    Args:
        runtime: Where statements are recorded: the registry, tracer provider, classifier of
            failed statements, scrubber of their error messages and clock of their durations
            (default :func:`signalpost.runtime.current`, resolved at the first statement).
            The keywords ``registry``, ``tracer_provider``, ``classifier``, ``scrubber`` and
            ``clock`` still override it for one release, with a :class:`DeprecationWarning`.
        capture_query_text: Record the sanitised statement as ``db.query.text`` on spans
            (literals replaced by ``?``; bound parameters are never recorded).
        max_query_text: Longest ``db.query.text``, in characters.
    """

    def __init__(
        self,
        *,
        runtime: Runtime | None = None,
        capture_query_text: bool = True,
        max_query_text: int = 2048,
        **deprecated: Unpack[Collaborators],
    ) -> None:
        self.recorder = StatementRecorder(
            runtime=runtime,
            capture_query_text=capture_query_text,
            max_query_text=max_query_text,
            overrides=deprecated_collaborators(
                "DatabaseInstrumentation", deprecated, _COLLABORATORS
            ),
        )

    def instrument(self, conn: _Conn) -> _Conn:
        """Make ``conn`` record its statements; returns it. Idempotent.

        The connection's current ``cursor_factory`` is kept as the base class, so a
        ``ClientCursor`` or a custom subclass keeps its behaviour.
        """
        if isinstance(conn, psycopg.AsyncConnection):
            conn.cursor_factory = async_cursor_class(self.recorder, conn.cursor_factory)
        else:
            conn.cursor_factory = cursor_class(self.recorder, conn.cursor_factory)
        return conn

    def connect(self, conninfo: str = "", **kwargs: Any) -> psycopg.Connection[Any]:
        """Open an instrumented connection; arguments as :meth:`psycopg.Connection.connect`."""
        return self.instrument(psycopg.Connection.connect(conninfo, **kwargs))

    async def connect_async(
        self, conninfo: str = "", **kwargs: Any
    ) -> psycopg.AsyncConnection[Any]:
        """Open an instrumented async connection (see :meth:`psycopg.AsyncConnection.connect`)."""
        return self.instrument(await psycopg.AsyncConnection.connect(conninfo, **kwargs))

    def configure(self, conn: psycopg.Connection[Any]) -> None:
        """``configure=`` callback for :class:`psycopg_pool.ConnectionPool`."""
        self.instrument(conn)

    async def configure_async(self, conn: psycopg.AsyncConnection[Any]) -> None:
        """``configure=`` callback for :class:`psycopg_pool.AsyncConnectionPool`."""
        self.instrument(conn)


def instrument_connection(
    conn: _Conn,
    *,
    registry: CollectorRegistry | None = None,
    tracer_provider: TracerProvider | None = None,
) -> _Conn:
    """Instrument one connection with a fresh :class:`DatabaseInstrumentation`.

    Connections instrumented with the same ``registry`` and ``tracer_provider`` (under the
    same shared defaults) share one :class:`DatabaseInstrumentation`; create your own to
    choose the other options.
    """
    key = (registry, tracer_provider, runtime.current())
    with _shared_lock:
        shared = _shared.get(key)
        if shared is None:
            own = runtime.current().with_overrides(
                registry=registry, tracer_provider=tracer_provider
            )
            shared = DatabaseInstrumentation(runtime=own)
            _shared[key] = shared
    return shared.instrument(conn)


_shared_lock = threading.Lock()
_shared: dict[
    tuple[CollectorRegistry | None, TracerProvider | None, runtime.Runtime],
    DatabaseInstrumentation,
] = {}
