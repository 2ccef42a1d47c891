"""Jobs waiting: the backlog gauges, read from the queue at scrape time.

::

    def waiting() -> list[Backlog]:
        with connect() as db:
            rows = db.execute(
                "SELECT kind, count(*), extract(epoch FROM min(enqueued_at)) FROM jobs"
                " WHERE started_at IS NULL GROUP BY kind"
            )
            return [Backlog(kind, n, oldest) for kind, n, oldest in rows]

    watch_backlog(waiting)  # signalpost_job_waiting, signalpost_job_oldest_waiting_age_seconds

A source is any callable returning :class:`Backlog` rows: your own query (above), or the
Redis readers for Celery and arq (:mod:`signalpost.jobs.backlog_redis`). It
runs when Prometheus scrapes, never on the job path. A ``(job_type, queue)`` seen once keeps
being reported (at 0) when nothing of it waits, so that "nothing waits" is a value, not a
missing series. When the source fails, the scrape carries no backlog series (the failure is
logged on ``signalpost.internal``) and the rest of the scrape goes on.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from signalpost.cardinality import BoundedValues
from signalpost.failsafe import note_failure
from signalpost.semconv import jobs as spec

__all__ = [
    "UNSCANNED",
    "Backlog",
    "BacklogCollector",
    "BacklogSource",
    "combine",
    "finite_time",
    "watch_backlog",
]

UNSCANNED = "_unscanned"
"""The job type of waiting messages a reader counted without reading them (past its ``scan``
oldest): their type and age are unknown, so no per-type alert looks at them."""


@dataclass(frozen=True, slots=True)
class Backlog:
    """Jobs of one type waiting in one queue.

    Attributes:
        job_type: The job type (the same name the runs use).
        waiting: How many wait now (due, not started).
        oldest_enqueued_at: Unix time since which the oldest of them waits (its enqueue, or
            when its retry or its deferral was due); ``None`` when none waits or it is unknown.
        queue: The queue they wait in; ``""`` when there is one.
    """

    job_type: str
    waiting: int
    oldest_enqueued_at: float | None = None
    queue: str = ""

    def to_json(self, now: float) -> dict[str, Any]:
        """The wire form the running-jobs endpoint serves (the age as of ``now``)."""
        oldest = self.oldest_enqueued_at
        return {
            "job_type": self.job_type,
            "queue": self.queue,
            "waiting": self.waiting,
            "oldest_age_seconds": None if oldest is None else max(0.0, now - oldest),
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any], now: float) -> Backlog:
        """Read :meth:`to_json`'s form back (the age counted from ``now``).

        Raises:
            ValueError: A field is missing or of the wrong type.
        """
        raw_age = raw.get("oldest_age_seconds")
        age = finite_time(raw_age)
        waiting = raw.get("waiting")
        if isinstance(waiting, bool) or not isinstance(waiting, int):
            raise ValueError("malformed backlog entry: waiting")
        if age is None and raw_age is not None:
            raise ValueError("malformed backlog entry: oldest_age_seconds")
        return cls(
            str(raw.get("job_type") or ""),
            waiting,
            None if age is None else now - age,
            str(raw.get("queue") or ""),
        )


def combine(rows: Iterable[Backlog], job_type: Callable[[str], str] = str) -> list[Backlog]:
    """One row per (job type, queue): counts added, the oldest kept; ``job_type`` maps the
    type (a cardinality cap)."""
    found: dict[tuple[str, str], Backlog] = {}
    for row in rows:
        key = (job_type(row.job_type), row.queue)
        seen = found.get(key)
        oldest = finite_time(row.oldest_enqueued_at) if row.waiting > 0 else None
        if seen is not None:
            if oldest is None or (
                seen.oldest_enqueued_at is not None and seen.oldest_enqueued_at < oldest
            ):
                oldest = seen.oldest_enqueued_at
        waiting = max(row.waiting, 0) + (seen.waiting if seen is not None else 0)
        found[key] = Backlog(key[0], waiting, oldest, key[1])
    return list(found.values())


def finite_time(value: object) -> float | None:
    """``value`` as a finite float (a number of seconds from the wire), else ``None``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


BacklogSource = Callable[[], Iterable[Backlog]]
"""Returns what waits now; called at every scrape (keep it to one cheap query)."""


class BacklogCollector(Collector):
    """A prometheus-client collector reporting the backlog a source reads at scrape time.

    Args:
        source: Returns the :class:`Backlog` rows (called once per scrape).
        job_types: ``(job_type, queue)`` pairs reported from the start (at 0 until something
            waits), so that alerts see "nothing waits" before the first job ever waited.
        clock: Wall-clock time, for the ages.
        max_job_types: Distinct job types before later ones share ``_other``.
    """

    def __init__(
        self,
        source: BacklogSource,
        *,
        job_types: Iterable[tuple[str, str]] = (),
        clock: Callable[[], float] = time.time,
        max_job_types: int = 100,
    ) -> None:
        self._source = source
        self._clock = clock
        self._bounded = BoundedValues(max_job_types)
        self._lock = threading.Lock()
        self._known: dict[tuple[str, str], None] = dict.fromkeys(job_types)

    def read(self) -> dict[tuple[str, str], tuple[int, float]]:
        """Call the source: ``(job_type, queue)`` to (waiting, age of the oldest in seconds)."""
        now = self._clock()
        found = {
            (row.job_type, row.queue): (
                row.waiting,
                0.0 if row.oldest_enqueued_at is None else max(0.0, now - row.oldest_enqueued_at),
            )
            for row in combine(self._source(), self._bounded)
        }
        with self._lock:
            self._known.update(dict.fromkeys(found))
            known = list(self._known)
        return {key: found.get(key, (0, 0.0)) for key in known}

    def collect(self) -> Iterator[Metric]:
        """The two backlog gauges; nothing when the source fails."""
        try:
            values = self.read()
        except Exception as failure:
            note_failure("backlog source", failure)
            return
        labels = list(spec.WAITING.labels)
        waiting = GaugeMetricFamily(spec.WAITING.name, spec.WAITING.help, labels=labels)
        age = GaugeMetricFamily(
            spec.OLDEST_WAITING_AGE.name,
            spec.OLDEST_WAITING_AGE.help,
            labels=list(spec.OLDEST_WAITING_AGE.labels),
            unit=spec.OLDEST_WAITING_AGE.unit,
        )
        for (job_type, queue), (count, oldest) in sorted(values.items()):
            waiting.add_metric([job_type, queue], count)
            age.add_metric([job_type, queue], oldest)
        yield waiting
        yield age

    def describe(self) -> Iterable[Metric]:
        """Nothing: describing would call the source at registration."""
        return ()


def watch_backlog(
    source: BacklogSource,
    *,
    registry: CollectorRegistry | None = None,
    job_types: Iterable[tuple[str, str]] = (),
    clock: Callable[[], float] = time.time,
) -> BacklogCollector:
    """Report the backlog ``source`` reads in ``registry`` (the global one by default).

    Register it in one process per queue (the web app, or one worker): every process that
    registers it reads the queue at each scrape. In prometheus-client's multiprocess mode,
    pass the registry the metrics endpoint serves. Unregister with
    ``registry.unregister(collector)``.

    Args:
        source: Returns the :class:`Backlog` rows.
        registry: Where the gauges are reported.
        job_types: ``(job_type, queue)`` pairs reported at 0 from the start.
        clock: Wall-clock time, for the ages.
    """
    collector = BacklogCollector(source, job_types=job_types, clock=clock)
    (REGISTRY if registry is None else registry).register(collector)
    return collector
