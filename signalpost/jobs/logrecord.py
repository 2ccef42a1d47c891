"""The log records of a run built without the stdlib's per-call work that gives the same
answer every time: :func:`job_record`.

``Logger.makeRecord`` builds a ``LogRecord`` whose fields are, for a run's records, the same on
every call but for the time, thread and process: the level name, the source file's base name
and module (two ``os.path`` calls), the message. Those are copied from a template built once by
the real ``LogRecord`` per (logger, level, message); only the per-call fields are computed, as
``LogRecord.__init__`` computes them. The record is a plain ``LogRecord`` with the same fields
in the same order, so handlers, filters and formatters see what ``makeRecord`` would give.
Anything unusual (a custom record factory, a ``Logger`` subclass with its own ``makeRecord``,
the module switches ``logThreads``/``logProcesses``/``logMultiprocessing`` off, another Python
version than the one whose ``LogRecord`` this copies) goes through ``makeRecord`` itself.
``relativeCreated`` counts from the logging module's start time as read back from the
template (``created - relativeCreated``), so it may differ from the stdlib's in the last bits
of the float (well under a microsecond).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Mapping
from typing import Any

__all__ = ["SOURCE", "job_record"]

SOURCE = "signalpost.jobs"
"""``record.pathname`` of a run's records: the caller's frame would be this package anyway."""

_FUNC = "job"
_LogRecord = logging.LogRecord
# What LogRecord.__init__ sets on Python 3.11 (3.12 adds taskName, 3.13 changes the clock).
_FIELDS_311 = (
    "name",
    "msg",
    "args",
    "levelname",
    "levelno",
    "pathname",
    "filename",
    "module",
    "exc_info",
    "exc_text",
    "stack_info",
    "lineno",
    "funcName",
    "created",
    "msecs",
    "relativeCreated",
    "thread",
    "threadName",
    "processName",
    "process",
)
_SUPPORTED = sys.version_info[:2] == (3, 11)
_RESERVED = ("message", "asctime")
_MAX_TEMPLATES = 512  # (logger, level, message) triples: a handful in practice
# (fields, when logging was loaded): the second is what relativeCreated counts from, read
# back from the template record (to within a float's rounding) rather than from logging's
# private clock.
_Template = tuple[dict[str, Any], float]
_templates: dict[tuple[str, int, str], _Template] = {}


def _template(name: str, level: int, message: str) -> _Template | None:
    record = _LogRecord(name, level, SOURCE, 0, message, (), None, _FUNC)
    fields = dict(record.__dict__)
    if tuple(fields) != _FIELDS_311:
        return None
    template = (fields, record.created - record.relativeCreated / 1000)
    if len(_templates) < _MAX_TEMPLATES:
        _templates[(name, level, message)] = template
    return template


def _fast() -> bool:
    return (
        _SUPPORTED
        and logging.getLogRecordFactory() is _LogRecord
        and logging.logThreads
        and logging.logProcesses
        and bool(logging.logMultiprocessing)
    )


def job_record(
    logger: logging.Logger, level: int, message: str, extra: Mapping[str, Any]
) -> logging.LogRecord:
    """The record ``logger.makeRecord(logger.name, level, SOURCE, 0, message, (), None, "job",
    extra)`` returns, field for field; raises ``KeyError`` as it does when ``extra`` would
    overwrite a field of the record."""
    if type(logger).makeRecord is not logging.Logger.makeRecord or not _fast():
        return logger.makeRecord(logger.name, level, SOURCE, 0, message, (), None, _FUNC, extra)
    name = logger.name
    template = _templates.get((name, level, message)) or _template(name, level, message)
    if template is None:
        return logger.makeRecord(name, level, SOURCE, 0, message, (), None, _FUNC, extra)
    record = _LogRecord.__new__(_LogRecord)
    fields = record.__dict__
    fields.update(template[0])
    ct = time.time()
    fields["created"] = ct
    fields["msecs"] = int((ct - int(ct)) * 1000) + 0.0
    fields["relativeCreated"] = (ct - template[1]) * 1000
    fields["thread"] = threading.get_ident()
    fields["threadName"] = threading.current_thread().name
    mp = sys.modules.get("multiprocessing")
    process_name = "MainProcess"
    if mp is not None:
        try:
            process_name = mp.current_process().name
        except Exception:  # as LogRecord: a broken multiprocessing keeps the default name
            pass
    fields["processName"] = process_name
    fields["process"] = os.getpid()
    for key in extra:
        if key in _RESERVED or key in fields:
            raise KeyError(f"Attempt to overwrite {key!r} in LogRecord")
        fields[key] = extra[key]
    return record
