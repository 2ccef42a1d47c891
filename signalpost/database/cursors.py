"""Cursor classes that time ``execute`` and ``executemany`` (and so ``conn.execute``).

psycopg 3 creates every client-side cursor through the connection's ``cursor_factory``,
including the one behind ``conn.execute``, so replacing that factory covers every statement.
Classes are made once per (recorder, base cursor class) and kept on the recorder; the recorder
travels as a class attribute, so a cursor costs nothing extra to create, and a user's own
cursor class (``ClientCursor``, ``RawCursor``, a subclass) keeps working underneath.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sized
from typing import Any, ClassVar

from signalpost._extras import missing_extra
from signalpost.database.recorder import StatementRecorder

try:
    import psycopg
    from psycopg.abc import Params, Query
except ImportError as _error:  # the 'postgres' extra is not installed
    raise missing_extra("postgres", _error) from _error

__all__ = ["async_cursor_class", "cursor_class"]


class _TimedCursor(psycopg.Cursor[Any]):
    """A :class:`psycopg.Cursor` recording each statement through its class's recorder."""

    __slots__ = ()
    _signalpost_recorder: ClassVar[StatementRecorder]

    def execute(
        self,
        query: Query,
        params: Params | None = None,
        *,
        prepare: bool | None = None,
        binary: bool | None = None,
    ) -> _TimedCursor:
        recorder = self._signalpost_recorder
        summary, text = recorder.summary_of(query, self)
        span = recorder.start(summary, text, self._conn)
        started = recorder.monotonic()
        try:
            super().execute(query, params, prepare=prepare, binary=binary)  # type: ignore[arg-type, misc]
        except BaseException as error:
            recorder.finish(span, summary, started, error)
            raise
        recorder.finish(span, summary, started, None)
        return self

    def executemany(
        self, query: Query, params_seq: Iterable[Params], *, returning: bool = False
    ) -> None:
        recorder = self._signalpost_recorder
        summary, text = recorder.summary_of(query, self)
        size = len(params_seq) if isinstance(params_seq, Sized) else None
        span = recorder.start(summary, text, self._conn, size)
        started = recorder.monotonic()
        try:
            super().executemany(query, params_seq, returning=returning)
        except BaseException as error:
            recorder.finish(span, summary, started, error)
            raise
        recorder.finish(span, summary, started, None)


class _TimedAsyncCursor(psycopg.AsyncCursor[Any]):
    """A :class:`psycopg.AsyncCursor` recording each statement through its class's recorder."""

    __slots__ = ()
    _signalpost_recorder: ClassVar[StatementRecorder]

    async def execute(
        self,
        query: Query,
        params: Params | None = None,
        *,
        prepare: bool | None = None,
        binary: bool | None = None,
    ) -> _TimedAsyncCursor:
        recorder = self._signalpost_recorder
        summary, text = recorder.summary_of(query, self)
        span = recorder.start(summary, text, self._conn)
        started = recorder.monotonic()
        try:
            await super().execute(query, params, prepare=prepare, binary=binary)  # type: ignore[arg-type, misc]
        except BaseException as error:
            recorder.finish(span, summary, started, error)
            raise
        recorder.finish(span, summary, started, None)
        return self

    async def executemany(
        self, query: Query, params_seq: Iterable[Params], *, returning: bool = False
    ) -> None:
        recorder = self._signalpost_recorder
        summary, text = recorder.summary_of(query, self)
        size = len(params_seq) if isinstance(params_seq, Sized) else None
        span = recorder.start(summary, text, self._conn, size)
        started = recorder.monotonic()
        try:
            await super().executemany(query, params_seq, returning=returning)
        except BaseException as error:
            recorder.finish(span, summary, started, error)
            raise
        recorder.finish(span, summary, started, None)


_lock = threading.Lock()


def _make(recorder: StatementRecorder, base: type[Any], timed: type[Any]) -> type[Any]:
    if issubclass(base, timed):
        return base  # already instrumented: never time a statement twice
    with _lock:
        made = recorder.cursor_classes.get(base)
        if made is None:
            bases = (timed,) if base in timed.__mro__ else (timed, base)
            made = type(
                f"Timed{base.__name__}",
                bases,
                {"__slots__": (), "_signalpost_recorder": recorder, "__module__": __name__},
            )
            recorder.cursor_classes[base] = made
        return made


def cursor_class(
    recorder: StatementRecorder, base: type[psycopg.Cursor[Any]] = psycopg.Cursor
) -> type[psycopg.Cursor[Any]]:
    """Return a subclass of ``base`` that records statements through ``recorder``."""
    return _make(recorder, base, _TimedCursor)


def async_cursor_class(
    recorder: StatementRecorder, base: type[psycopg.AsyncCursor[Any]] = psycopg.AsyncCursor
) -> type[psycopg.AsyncCursor[Any]]:
    """Return a subclass of ``base`` that records statements through ``recorder``."""
    return _make(recorder, base, _TimedAsyncCursor)
