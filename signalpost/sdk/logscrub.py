"""The logging filter between every logger and Signalpost's JSON and OTLP handlers.

:func:`~signalpost.sdk.setup.setup` routes the records of other libraries (uvicorn,
gunicorn) into the same handlers as the application's. :class:`ScrubbingFilter` makes every
one of them safe before a handler writes it:

* the record is scrubbed once (body, ``extra=`` attributes, exception, stack) through
  :func:`~signalpost.sdk.logfields.record_fields`, whose result both handlers share;
* uvicorn's "Exception in ASGI application" (a server logger's report of an exception that
  Signalpost's error reporter already reported) is dropped: the error record, with its request
  and trace IDs and a scrubbed stack, is the one line per unhandled error;
* uvicorn's access lines have their query string and path scrubbed, and the lines of the
  excluded paths (``/metrics``, health probes) are dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from signalpost.errors.capture import was_reported
from signalpost.errors.scrub import Scrubber
from signalpost.globs import path_matcher
from signalpost.sdk.logfields import record_fields

__all__ = ["ScrubbingFilter"]

_ACCESS_LOGGER = "uvicorn.access"
"""uvicorn's access logger; its records carry (client, method, path?query, version, status)."""
_SERVER_ERROR_LOGGERS = frozenset({"uvicorn", "uvicorn.error", "gunicorn.error"})
"""Loggers whose report of an already reported exception is a duplicate."""


class ScrubbingFilter(logging.Filter):
    """Scrubs each record once and drops duplicate error reports and probe access lines.

    Attach it to handlers (after the correlation filter, so that the IDs are in place).

    Args:
        scrubber: The scrubbing policy shared with the rest of set-up.
        access_log_excluded_paths: Exact paths or glob patterns (``/health/*``) whose access
            lines are dropped; by default none.
    """

    def __init__(self, scrubber: Scrubber, access_log_excluded_paths: Iterable[str] = ()) -> None:
        super().__init__()
        self._scrubber = scrubber
        self._excluded = path_matcher(access_log_excluded_paths)

    def filter(self, record: logging.LogRecord) -> bool:
        if "_signalpost_fields" in record.__dict__:
            return True  # scrubbed already, for the other handler
        exc_info = record.exc_info
        if (
            exc_info
            and exc_info[1] is not None
            and record.name in _SERVER_ERROR_LOGGERS
            and was_reported(exc_info[1])
        ):
            return False
        if record.name == _ACCESS_LOGGER and not self._access(record):
            return False
        record_fields(record, self._scrubber)
        return True

    def _access(self, record: logging.LogRecord) -> bool:
        args = record.args
        if not isinstance(args, tuple) or len(args) != 5 or not isinstance(args[2], str):
            return True
        path, sep, query = args[2].partition("?")
        if self._excluded(path):
            return False
        scrubbed = self._scrubber.scrub_path(path)
        if sep:
            scrubbed += sep + self._scrubber.scrub_query(query)
        record.args = (args[0], args[1], scrubbed, args[3], args[4])
        return True
