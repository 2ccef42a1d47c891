"""Celery integration: ``signalpost.celery.instrument(app)`` (needs the ``celery`` extra).

The integration lives in :mod:`signalpost.integrations.celery`; see ``docs/celery.md``.
"""

from __future__ import annotations

from signalpost.integrations.celery import (
    CANCEL_SIGNAL,
    CeleryInstrumentation,
    ProgressSettings,
    backlog,
    cancel,
    instrument,
    running_jobs,
)

__all__ = [
    "CANCEL_SIGNAL",
    "CeleryInstrumentation",
    "ProgressSettings",
    "backlog",
    "cancel",
    "instrument",
    "running_jobs",
]
