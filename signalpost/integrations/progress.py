"""The one queue-progress publisher: a worker's runs in progress, published for another
process's running-jobs endpoint in the published form of
:mod:`~signalpost.jobs.published` (the one wire form of a running job).

Every queue integration publishes the same way: a run is registered when it starts
(:meth:`ProgressPublisher.begin`) and dropped when it ends (:meth:`ProgressPublisher.end`);
at most once per ``interval`` the runs whose published form changed are written, and the
ended ones removed, through the queue's own store. Only where the store lives differs:

* Celery (``thread_store``): a thread per process (re-started after a fork) stores each
  run's form as the task's custom ``PROGRESS`` state, holding the publisher's lock, so that
  a run's end (which takes the lock) is never overtaken by a late publication.
* arq (``loop_store``): a task on the worker's event loop writes every change of one
  publication in one Redis pipeline.

A store that fails is logged once per outage (:func:`~signalpost.failsafe.note_failure`),
never raised into the job.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from signalpost import runtime
from signalpost.errors.scrub import Scrubber
from signalpost.failsafe import note_failure
from signalpost.jobs.published import change_key, publishable
from signalpost.jobs.running import RunView, running_job

__all__ = ["Changes", "LoopStore", "ProgressPublisher", "ThreadStore"]


@dataclass
class Changes:
    """One publication: the forms to write (by job ID) and the job IDs to remove."""

    writes: dict[str, dict[str, Any]] = field(default_factory=dict)
    ended: list[str] = field(default_factory=list)
    live: bool = False
    keys: dict[str, tuple[Any, ...]] = field(default_factory=dict)


ThreadStore = Callable[[str, dict[str, Any]], None]
LoopStore = Callable[[Changes], Awaitable[None]]


class ProgressPublisher:
    """Publishes the monitored runs of one worker process through a queue's store.

    Give it one store: ``thread_store(job_id, form)``, called per changed run from a thread
    of this process, or ``loop_store(changes)``, awaited per publication by a task on the
    event loop the first run started on.

    Args:
        name: Names the publisher in logged failures (``"celery progress publisher"``).
        interval: Seconds between two publications (> 0).
        scrubber: Scrubs progress messages before they leave; the runtime's if ``None``.
        worker: Returns the worker's name written into every form (``None``: none).
        thread_store: Stores one run's form (Celery).
        loop_store: Writes one publication's changes (arq).
    """

    def __init__(
        self,
        name: str,
        *,
        interval: float = 1.0,
        scrubber: Scrubber | None = None,
        worker: Callable[[], str | None] = lambda: None,
        thread_store: ThreadStore | None = None,
        loop_store: LoopStore | None = None,
    ) -> None:
        if (thread_store is None) == (loop_store is None):
            raise ValueError("ProgressPublisher: give exactly one of thread_store, loop_store")
        if interval <= 0:
            raise ValueError(f"interval: expected a number of seconds > 0, got {interval!r}")
        self.name = name
        self.interval = interval
        self._scrubber = scrubber
        self._worker = worker
        self.lock = threading.Lock()
        self._live: dict[str, RunView] = {}
        self._ended: set[str] = set()
        self._published: dict[str, tuple[Any, ...]] = {}
        self._failing = False
        self._thread_store = thread_store
        self._loop_store = loop_store
        self._pid = 0
        self._wake_thread = threading.Event()
        self._task: asyncio.Task[None] | None = None
        self._wake_loop: asyncio.Event | None = None

    def begin(self, run: RunView) -> None:
        """``run`` started in this process (starts the publishing thread or task if needed)."""
        with self.lock:
            self._live[run.job_id] = run
            self._ended.discard(run.job_id)
        try:
            self._start()
        except Exception as failure:  # never let the listing break the job
            note_failure(f"{self.name} start", failure)

    def end(self, job_id: str) -> bool:
        """The run ``job_id`` ended: publish nothing more for it.

        Returns:
            Whether a form was published for it (the store removes it at the next
            publication, if it removes at all).
        """
        with self.lock:
            self._live.pop(job_id, None)
            published = job_id in self._published
            if published:
                self._ended.add(job_id)
            live = bool(self._live)
        if not live and self._wake_loop is not None:
            self._wake_loop.set()  # flush now, so the task is not left pending at shut-down
        return published

    def changes(self) -> Changes:
        """What the next publication writes and removes."""
        scrubber = self._scrubber or runtime.current().scrubber
        worker = self._worker()
        with self.lock:
            runs = list(self._live.items())
            found = Changes(ended=list(self._ended), live=bool(self._live))
        for job_id, run in runs:
            meta = publishable(running_job(run), scrubber, worker=worker)
            key = change_key(meta)
            if self._published.get(job_id) != key:
                found.writes[job_id] = meta
                found.keys[job_id] = key
        return found

    def committed(self, changes: Changes, job_ids: list[str] | None = None) -> None:
        """``changes`` (or only its ``job_ids``) reached the store."""
        with self.lock:
            for job_id in changes.ended:
                self._published.pop(job_id, None)
                self._ended.discard(job_id)
            for job_id in changes.writes if job_ids is None else job_ids:
                self._published[job_id] = changes.keys[job_id]
                if job_id not in self._live:  # it ended while the write was on its way
                    self._ended.add(job_id)

    def publish_now(self) -> int:
        """One publication through the thread store, now; return how many forms were stored."""
        store = self._thread_store
        if store is None:
            return 0
        changes = self.changes()
        stored: list[str] = []
        for job_id, meta in changes.writes.items():
            with self.lock:
                if job_id not in self._live:
                    continue
                store(job_id, meta)
                self._published[job_id] = changes.keys[job_id]
            stored.append(job_id)
        with self.lock:  # a thread store removes nothing: the task's end replaces the form
            for job_id in changes.ended:
                self._published.pop(job_id, None)
                self._ended.discard(job_id)
        return len(stored)

    async def publish(self) -> int:
        """One publication through the loop store, now; return how many changes it wrote."""
        store = self._loop_store
        if store is None:
            return 0
        changes = self.changes()
        if not changes.writes and not changes.ended and not changes.live:
            return 0
        await store(changes)
        self.committed(changes)
        return len(changes.writes) + len(changes.ended)

    def _failed(self, failure: Exception) -> None:
        if not self._failing:  # once per outage, not once per interval
            note_failure(self.name, failure)
        self._failing = True

    def _start(self) -> None:
        if self._thread_store is not None:
            with self.lock:
                if self._pid == os.getpid():
                    return
                self._pid = os.getpid()  # first run, or first after a fork
            name = f"signalpost-{self.name}"
            threading.Thread(target=self._thread, name=name, daemon=True).start()
        elif self._loop_store is not None and (self._task is None or self._task.done()):
            self._wake_loop = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(
                self._loop(), name=f"signalpost-{self.name}"
            )

    def _thread(self) -> None:
        pid = os.getpid()
        while self._pid == pid:
            self._wake_thread.wait(self.interval)
            try:
                self.publish_now()
                self._failing = False
            except Exception as failure:
                self._failed(failure)

    async def _loop(self) -> None:
        wake = self._wake_loop
        while True:
            try:
                await self.publish()
                self._failing = False
            except Exception as failure:
                self._failed(failure)
            if not self._live and not self._ended:
                return
            if wake is not None:
                try:
                    await asyncio.wait_for(wake.wait(), self.interval)
                except TimeoutError:
                    pass
                wake.clear()
