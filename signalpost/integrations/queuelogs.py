"""A task queue's own log lines, scrubbed in place: :func:`scrub_loggers`.

Queue workers log jobs' arguments, results and exceptions with their tracebacks (arq:
``→ id:function(args)``, ``← id:function ● result``; Celery: ``Task name[id] succeeded in 0.1s:
result``, ``raised unexpected: RuntimeError(...)``) through handlers of their own (the ``arq``
and ``celery`` command lines install them) as well as through the root logger's. A filter on
the loggers that create those records rewrites each record once, before any handler sees it,
so that every output gets the scrubbed text.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from signalpost import runtime
from signalpost.errors.capture import scrub_stacktrace, scrubbed_stacktrace
from signalpost.errors.scrub import Scrubber

__all__ = ["ARQ_LOGGERS", "CELERY_LOGGERS", "QueueLogScrubber", "scrub_loggers"]

ARQ_LOGGERS = ("arq.worker", "arq.jobs", "arq.connections", "arq.cron")
"""The loggers arq creates its records on (a filter on a parent logger would not see them)."""

CELERY_LOGGERS = (
    "celery.app.trace",
    "celery.worker.request",
    "celery.worker.strategy",
    "celery.worker.consumer.consumer",
    "celery.redirected",
    "celery.beat",
)
"""The loggers Celery's worker logs tasks' arguments, results, errors and output on."""

# The per-job lines of arq and Celery, by their constant format: only the slots that carry
# data (a job's arguments, its result) are scrubbed; the rest holds numbers and the job's ID
# and function name, which every other signal carries unscrubbed too. A line whose format is
# not here (another line, or these after a change in the library) is scrubbed whole.
_DATA_SLOTS: dict[str, tuple[int | str, ...]] = {
    "%6.2fs → %s(%s)%s": (2, 3),  # arq: job started, with its arguments
    "%6.2fs ← %s ● %s": (2,),  # arq: job succeeded, with its result
    "Task %(name)s[%(id)s] succeeded in %(runtime)ss: %(return_value)s": ("return_value",),
}

_ELLIPSIS = "…"  # what arq.utils.truncate ends a cut string with


def _whole_items(text: str) -> str:
    """``text`` cut by arq mid-item: drop the cut item, whose fragment no pattern recognises."""
    if not text.endswith(_ELLIPSIS):
        return text
    head, separator, _ = text[: -len(_ELLIPSIS)].rpartition(", ")
    return head + separator + _ELLIPSIS if separator else _ELLIPSIS


class QueueLogScrubber(logging.Filter):
    """Scrubs a record's message, exception and stack in place (never drops one).

    Args:
        scrubber: The scrubber to use; the shared default (what ``setup()`` installed),
            looked up per record, if ``None``.
    """

    def __init__(self, scrubber: Scrubber | None = None) -> None:
        super().__init__()
        self.scrubber = scrubber

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            self._scrub(record, self.scrubber or runtime.current().scrubber)
        except Exception:
            record.msg, record.args = "log record withheld: it could not be scrubbed", None
            record.exc_info = None
            record.exc_text = record.stack_info = None
        return True

    def _scrub(self, record: logging.LogRecord, scrubber: Scrubber) -> None:
        args = record.args
        slots = _DATA_SLOTS.get(record.msg) if isinstance(record.msg, str) else None
        if slots is not None and not self._scrub_slots(record, slots, scrubber):
            slots = None
        if slots is None:
            if isinstance(args, tuple):
                args = tuple(_whole_items(a) if isinstance(a, str) else a for a in args)
            text = str(record.msg) % args if args else str(record.msg)
            record.msg = scrubber.scrub_string(text)
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = scrubbed_stacktrace(record.exc_info[1], scrubber).rstrip("\n")
        if record.stack_info:
            record.stack_info = scrub_stacktrace(record.stack_info, scrubber)

    @staticmethod
    def _scrub_slots(
        record: logging.LogRecord, slots: tuple[int | str, ...], scrubber: Scrubber
    ) -> bool:
        """Scrub the data slots of a known line; ``False`` if its arguments do not fit."""
        args = record.args
        positions = [i for i in slots if isinstance(i, int)]
        keys = [k for k in slots if isinstance(k, str)]
        if isinstance(args, tuple) and not keys and all(i < len(args) for i in positions):
            values = list(args)
            for index in positions:
                values[index] = scrubber.scrub_string(_whole_items(str(values[index])))
            record.args = tuple(values)
            return True
        if isinstance(args, Mapping) and not positions and all(k in args for k in keys):
            mapping = dict(args)
            for key in keys:
                mapping[key] = scrubber.scrub_string(_whole_items(str(mapping[key])))
            record.args = mapping
            return True
        return False


_installed: dict[str, QueueLogScrubber] = {}


def scrub_loggers(names: tuple[str, ...], scrubber: Scrubber | None = None) -> None:
    """Scrub every record created on the loggers ``names`` (installed once per logger; a later
    call sets the scrubber).

    Args:
        names: Logger names (:data:`ARQ_LOGGERS`, :data:`CELERY_LOGGERS`).
        scrubber: The scrubber to use; the shared default (what ``setup()`` installed) if
            ``None``.
    """
    for name in names:
        scrubbing = _installed.get(name)
        if scrubbing is None:
            scrubbing = _installed[name] = QueueLogScrubber()
            logging.getLogger(name).addFilter(scrubbing)
        scrubbing.scrubber = scrubber
