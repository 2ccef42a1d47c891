"""Celery integration: ``signalpost.celery.instrument(app)`` (needs the ``celery`` extra).

See :mod:`signalpost.instrumentation.celery` and ``docs/celery.md``.
"""

from __future__ import annotations

from signalpost.instrumentation.celery import (
    CANCEL_SIGNAL,
    CeleryInstrumentation,
    backlog,
    cancel,
    instrument,
    running_jobs,
)

__all__ = [
    "CANCEL_SIGNAL",
    "CeleryInstrumentation",
    "backlog",
    "cancel",
    "instrument",
    "running_jobs",
]
