"""Celery integration: ``signalpost.celery.instrument(app)`` (needs the ``celery`` extra).

Modules: ``instrument`` (install, :mod:`signalpost.integrations.celery.instrument`), ``jobs``
(runs in progress across workers and their publisher), ``pool`` (the worker bootstep that reaps
dead pool children), ``waiting`` (enqueue times). See ``docs/celery.md``.
:data:`CANCEL_SIGNAL` is the signal a cancelled task's pool child receives.
"""

from __future__ import annotations

from signalpost.integrations.celery.instrument import (
    CANCEL_SIGNAL,
    CeleryInstrumentation,
    backlog,
    cancel,
    instrument,
    running_jobs,
)
from signalpost.integrations.contract import ProgressSettings

__all__ = [
    "CANCEL_SIGNAL",
    "CeleryInstrumentation",
    "ProgressSettings",
    "backlog",
    "cancel",
    "instrument",
    "running_jobs",
]
