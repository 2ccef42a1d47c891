"""arq integration: ``signalpost.arq.monitored_functions(...)`` and ``signalpost.arq.enqueue``
(needs the ``arq`` extra). See :mod:`signalpost.instrumentation.arq` and ``docs/arq.md``.
"""

from __future__ import annotations

from signalpost.instrumentation.arq import TRACE_KWARG, enqueue, monitored_functions

__all__ = ["TRACE_KWARG", "enqueue", "monitored_functions"]
