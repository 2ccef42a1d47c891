"""Freezing the start-up heap so that full garbage collections stay short under tracing.

With tracing on, every finished span waits in the batch processor's queue (11 objects the
cyclic garbage collector tracks, all of them the SDK's) for up to a few seconds. Spans that
live that long reach the oldest generation and, by CPython's rule (a full collection once the
objects promoted since the last one exceed a quarter of the old generation), trigger full
collections every second or so at a few thousand requests a second. A full collection walks
every tracked object in the process, and a FastAPI service with the OpenTelemetry SDK holds
about 100,000 of them after start-up (modules, classes, pydantic and protobuf descriptors):
each one stops every request for tens of milliseconds, which is where the p99 of fully
traced services goes (see bench/README.md).

:func:`freeze_startup_heap` moves what exists at the end of start-up into the permanent
generation (:func:`gc.freeze`), which collections no longer walk. Nothing changes for
reference counting: frozen objects are still freed as soon as nothing refers to them. The one
cost is bounded: frozen objects that later become garbage *only through a reference cycle* are
not reclaimed, which can never make the process larger than it was at the freeze. The freeze
happens once per process, so a process that starts many applications (a test suite) pins at
most one start-up heap.
"""

from __future__ import annotations

import gc
import threading

__all__ = ["freeze_startup_heap"]

_lock = threading.Lock()
_frozen = False


def freeze_startup_heap() -> bool:
    """Collect once, then freeze every tracked object (:func:`gc.freeze`); once per process.

    Returns:
        ``True`` when this call froze the heap, ``False`` when an earlier call already had.
    """
    global _frozen
    with _lock:
        if _frozen:
            return False
        _frozen = True
    gc.collect()  # what start-up left as cyclic garbage is freed, not frozen
    gc.freeze()
    return True
