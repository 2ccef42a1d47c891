"""arq's own log lines, scrubbed in place: :func:`scrub_arq_logs`.

arq's worker logs every job's arguments (``→ id:function(args)``), its result (``← id:function ●
result``) and a failed job's exception with its traceback, through its own handler (the ``arq``
command line installs one on the ``arq`` logger) as well as through any handler on the root
logger. A filter on the loggers that create those records rewrites each record once, before
any handler sees it, so that every output gets the scrubbed text.
"""

from __future__ import annotations

import logging
import traceback

from signalpost.instrumentation import defaults
from signalpost.instrumentation.scrub import Scrubber

__all__ = ["ARQ_LOGGERS", "ArqLogScrubber", "scrub_arq_logs"]

ARQ_LOGGERS = ("arq.worker", "arq.jobs", "arq.connections", "arq.cron")
"""The loggers arq creates its records on (a filter on the parent ``arq`` would not see them)."""

_ELLIPSIS = "…"  # what arq.utils.truncate ends a cut string with
_MAX_TRACE = 64 * 1024


def _whole_items(text: str) -> str:
    """``text`` cut by arq mid-item: drop the cut item, whose fragment no pattern recognises."""
    if not text.endswith(_ELLIPSIS):
        return text
    head, separator, _ = text[: -len(_ELLIPSIS)].rpartition(", ")
    return head + separator + _ELLIPSIS if separator else _ELLIPSIS


class ArqLogScrubber(logging.Filter):
    """Scrubs an arq record's message, exception and stack in place (never drops one).

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
            record.msg, record.args = "arq log record withheld: it could not be scrubbed", None
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


_installed: ArqLogScrubber | None = None


def scrub_arq_logs(scrubber: Scrubber | None = None) -> ArqLogScrubber:
    """Install the scrubbing filter on arq's loggers (once; a later call sets its scrubber).

    Args:
        scrubber: The scrubber to use; the shared default (what ``setup()`` installed) if
            ``None``.
    """
    global _installed
    if _installed is None:
        _installed = ArqLogScrubber()
        for name in ARQ_LOGGERS:
            logging.getLogger(name).addFilter(_installed)
    _installed.scrubber = scrubber
    return _installed
