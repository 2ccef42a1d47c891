"""Celery's process-wide signal handlers for the integration: trace context into message
headers, enqueue times, the cancel signal in pool children, dead children's gauges."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from celery import signals
from opentelemetry import propagate

from signalpost.integrations.celery.pool import mark_process_dead
from signalpost.integrations.celery.waiting import stamp_enqueued
from signalpost.jobs.interrupts import JobCancelled
from signalpost.jobs.propagation import inject_context
from signalpost.jobs.run import current_run_or_none

__all__ = ["CANCEL_SIGNAL", "HANDLERS"]

CANCEL_SIGNAL = "SIGUSR2"
"""The signal :func:`cancel` has the worker send to the pool child running the task.

Celery's own signals in pool children are SIGTERM (shut down) and SIGUSR1 (soft time limit);
SIGUSR2 would otherwise kill the child.
"""



class _SharedHandlers:
    """Celery's signals are process-wide and do not say which app sent them: the handlers are
    connected while at least one app is instrumented, and disconnected with the last one, so
    that undoing one app's instrumentation leaves the others' working."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0

    def acquire(self) -> Callable[[], None]:
        """Connect the handlers unless connected; return the (idempotent) release."""
        with self._lock:
            if self._holders == 0:
                signals.before_task_publish.connect(_inject_headers, weak=False)
                signals.before_task_publish.connect(stamp_enqueued, weak=False)
                signals.worker_process_init.connect(_install_cancel_handler, weak=False)
                signals.worker_process_shutdown.connect(_mark_process_dead, weak=False)
            self._holders += 1
        released = threading.Event()

        def release() -> None:
            if released.is_set():
                return
            released.set()
            with self._lock:
                self._holders -= 1
                if self._holders == 0:
                    signals.before_task_publish.disconnect(_inject_headers)
                    signals.before_task_publish.disconnect(stamp_enqueued)
                    signals.worker_process_init.disconnect(_install_cancel_handler)
                    signals.worker_process_shutdown.disconnect(_mark_process_dead)

        return release


def _inject_headers(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """``before_task_publish``: put the current trace context in the message headers, unless
    the sender already did (a retry carries its run's context)."""
    if headers is None:
        return
    fields = propagate.get_global_textmap().fields
    if any(key in headers for key in fields):
        return
    inject_context(headers)


def _cancel_handler(signum: int, frame: FrameType | None) -> None:
    run = current_run_or_none()
    if run is None:
        return  # between tasks: nothing to cancel
    run.request_cancel("revoked")
    raise JobCancelled("revoked")


def _install_cancel_handler(**_: Any) -> None:
    """``worker_process_init``: in each pool child, turn :data:`CANCEL_SIGNAL` into a
    cancellation of the run in progress."""
    signal.signal(getattr(signal, CANCEL_SIGNAL), _cancel_handler)


def _mark_process_dead(**_: Any) -> None:
    """``worker_process_shutdown``: drop this child's live gauges from the multiprocess files,
    so the ``live*`` gauges (in progress, oldest run) no longer count it. A killed child runs
    nothing: the main process marks it dead too (:class:`ReapDeadChildren`)."""
    mark_process_dead(os.getpid())


HANDLERS = _SharedHandlers()
"""The handlers of this process, held by every instrumented app."""
