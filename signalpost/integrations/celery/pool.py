"""Dropping a dead prefork pool child's live gauges, in the worker's main process.

In prometheus-client's multiprocess mode each pool child writes its gauges to files of its
own; the ``live*`` gauges (runs in progress, oldest run, oldest progress) are meant to count
live processes only, which needs ``multiprocess.mark_process_dead(pid)`` once a process is
gone. A child that exits normally does it itself (``worker_process_shutdown``), but one that
is killed (SIGKILL, the OOM killer, a crash) runs nothing, and its stuck-looking run would
keep ``JobStuck`` firing. The main process sees every child exit: the prefork pool calls its
``on_process_down`` for each child it cleans up, killed or not, and this worker bootstep
(:class:`ReapDeadChildren`, added to the worker by :func:`signalpost.celery.instrument`)
marks the child dead there.
"""

from __future__ import annotations

import os
from typing import Any

from celery import bootsteps

from signalpost.failsafe import failsafe

__all__ = ["MULTIPROC_DIR_ENV", "ReapDeadChildren", "mark_process_dead"]

MULTIPROC_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
_MARK = "_signalpost_reaps_children"


def mark_process_dead(pid: int) -> None:
    """Remove the live gauges of process ``pid`` from the multiprocess files (when the
    process runs in multiprocess mode; otherwise there is nothing to remove)."""
    if MULTIPROC_DIR_ENV not in os.environ:
        return
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


class ReapDeadChildren(bootsteps.StartStopStep):  # type: ignore[misc]
    """Worker bootstep: mark each prefork pool child dead when the pool cleans it up."""

    label = "signalpost: reap dead pool children"
    requires = ("celery.worker.components:Pool",)

    def start(self, worker: Any) -> None:
        """Hook the pool started by the Pool step (the pool without an event loop)."""
        _hook(worker.pool)

    def stop(self, worker: Any) -> None:
        """Nothing to undo: the pool goes away with the worker."""

    def register_with_event_loop(self, worker: Any, hub: Any) -> None:
        """Hook again once the loop runs: the event-loop pool replaces its handlers when the
        Pool step registers, which the worker does after this step (in reverse order)."""
        hub.call_soon(_hook, worker.pool)


def _hook(task_pool: Any) -> None:
    pool = getattr(task_pool, "_pool", None)
    if pool is None or not hasattr(pool, "on_process_down"):
        return  # not a prefork pool (solo, threads, eventlet): no child processes
    previous = pool.on_process_down
    if getattr(previous, _MARK, False):
        return

    def on_process_down(process: Any) -> None:
        with failsafe("marking a dead pool child"):  # the pool's own clean-up must go on
            mark_process_dead(process.pid)
        if previous is not None:
            previous(process)

    setattr(on_process_down, _MARK, True)
    pool.on_process_down = on_process_down
