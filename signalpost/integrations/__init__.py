"""Task-queue integrations behind one contract: :mod:`signalpost.integrations.celery` and
:mod:`signalpost.integrations.arq` (also importable as ``signalpost.celery`` and
``signalpost.arq``).

Each integration is a folder with the same parts: ``instrument`` (install and the object that
undoes it), ``wrapper`` (one execution as a monitored run), ``jobs`` (its runs in progress
read across workers, and the queue's store for the one queue-progress publisher,
:mod:`signalpost.integrations.progress`, which writes the one wire form of
:mod:`signalpost.jobs.wire`), and the queue's own log lines scrubbed by
:mod:`signalpost.integrations.queuelogs`. Installing returns
an :class:`Instrumentation`; its :meth:`~Instrumentation.uninstrument` removes only what that
installation added. Both take :class:`ProgressSettings` for how often their runs report
progress.
"""

from __future__ import annotations

from signalpost.integrations.contract import Instrumentation, ProgressSettings

__all__ = ["Instrumentation", "ProgressSettings"]
