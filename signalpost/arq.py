"""arq integration: ``signalpost.arq.instrument(...)`` (``monitored_functions``), ``enqueue`` and
``signalpost.arq.running_jobs`` (needs the ``arq`` extra).
The integration lives in :mod:`signalpost.integrations.arq`; see ``docs/arq.md``.
"""

from __future__ import annotations

from signalpost.integrations.arq import (
    TRACE_KWARG,
    ArqInstrumentation,
    ArqRunningJobs,
    ProgressSettings,
    backlog,
    enqueue,
    instrument,
    monitored_functions,
    running_jobs,
)

__all__ = [
    "TRACE_KWARG",
    "ArqInstrumentation",
    "ArqRunningJobs",
    "ProgressSettings",
    "backlog",
    "enqueue",
    "instrument",
    "monitored_functions",
    "running_jobs",
]
