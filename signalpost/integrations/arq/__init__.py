"""arq integration: ``signalpost.arq.instrument(...)`` (or its shorthand
``monitored_functions``), ``signalpost.arq.enqueue`` and ``signalpost.arq.running_jobs`` (needs
the ``arq`` extra).
Modules: ``instrument`` (install, :mod:`signalpost.integrations.arq.instrument`), ``wrapper``
(one execution as a monitored run), ``jobs`` (runs in progress across workers and the Redis
store of their publisher). See ``docs/arq.md``.
:data:`TRACE_KWARG` is the keyword argument that carries the trace context.
"""

from __future__ import annotations

from signalpost.integrations.arq.instrument import (
    TRACE_KWARG,
    ArqInstrumentation,
    ArqRunningJobs,
    backlog,
    enqueue,
    instrument,
    monitored_functions,
    running_jobs,
)
from signalpost.integrations.contract import ProgressSettings

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
