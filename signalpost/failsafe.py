"""Telemetry never breaks the app: :func:`failsafe`, the one guard around telemetry code.

Code that records (a metric, a span, a log record) on behalf of the user's request or job runs
inside ``with failsafe("what it does"):``. An exception there is swallowed: the user's return
value and exception stay theirs. The first failure of each kind (what failed and the exception
type) is logged with its stack trace as a warning on ``signalpost.internal``; repeats are logged
at debug level only, so a broken exporter cannot flood the logs of every request.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType

from signalpost.loggers import INTERNAL_LOGGER_NAME

__all__ = ["failsafe", "failures_seen", "note_failure"]

_log = logging.getLogger(INTERNAL_LOGGER_NAME)
_lock = threading.Lock()
_seen: dict[tuple[str, str], int] = {}  # (what, exception type) -> failures so far


class failsafe:
    """Run the block; if it raises an :class:`Exception`, note it and carry on.

    A class rather than a generator-based context manager: it guards the hot paths of every
    request and job, where entering it must cost next to nothing.

    Args:
        what: What the block does, in a few words (``"run span"``): names the failure in the
            log and, with the exception type, its kind.
    """

    __slots__ = ("what",)

    def __init__(self, what: str) -> None:
        self.what = what

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        if error is None or not isinstance(error, Exception):
            return False
        note_failure(self.what, error)
        return True


def note_failure(what: str, error: BaseException) -> None:
    """Note a failure of telemetry code (for a guard that must return a fallback value).

    Never raises: a logging set-up that fails too is ignored.
    """
    kind = (what, type(error).__qualname__)
    with _lock:
        count = _seen[kind] = _seen.get(kind, 0) + 1
    level = logging.WARNING if count == 1 else logging.DEBUG
    try:
        exc_info = (type(error), error, error.__traceback__)
        _log.log(level, "signalpost: %s failed", what, exc_info=exc_info)
    except Exception:  # the one place a failure is dropped unseen: logging itself failed
        pass


def failures_seen() -> dict[tuple[str, str], int]:
    """How many failures of each kind ``(what, exception type)`` were noted (for tests)."""
    with _lock:
        return dict(_seen)
