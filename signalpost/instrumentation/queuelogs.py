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
import traceback

from signalpost.instrumentation import defaults
from signalpost.instrumentation.scrub import Scrubber

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

_ELLIPSIS = "…"  # what arq.utils.truncate ends a cut string with
_MAX_TRACE = 64 * 1024


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
            self._scrub(record, self.scrubber or defaults.current().scrubber)
        except Exception:
            record.msg, record.args = "log record withheld: it could not be scrubbed", None
            record.exc_info = None
            record.exc_text = record.stack_info = None
        return True

    def _scrub(self, record: logging.LogRecord, scrubber: Scrubber) -> None:
        args = record.args
        if isinstance(args, tuple):
            args = tuple(_whole_items(a) if isinstance(a, str) else a for a in args)
        record.msg = scrubber.scrub_string(str(record.msg) % args if args else str(record.msg))
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            text = "".join(traceback.format_exception(*record.exc_info))
            record.exc_text = scrubber.scrub_text(text.rstrip("\n"), _MAX_TRACE, keep_tail=True)
        if record.stack_info:
            record.stack_info = scrubber.scrub_text(record.stack_info, _MAX_TRACE, keep_tail=True)


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
