"""The prometheus-client instruments of job monitoring, bound once per job type, and the
oldest-run timestamps.

The two timestamp gauges (start of the oldest running run, least recent progress report, per
job type) are set by the runs themselves when they start, progress (at most once a second per
run) and end, from the running-jobs lists in use with the registry. Being plain gauges they
live in prometheus-client's multiprocess files like the others and aggregate across processes
(``livemin``: the oldest over live processes; ``+Inf`` when none runs); the alert rules and
dashboards compute the age as ``time() - value``, so a hung run that reports nothing still
shows up.
"""

from __future__ import annotations

import math
import threading
import weakref
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.metrics import MetricWrapperBase

from signalpost import metrics
from signalpost.cardinality import BoundedValues
from signalpost.jobs.running import RunningJobs
from signalpost.semconv import jobs as spec

__all__ = ["JobMetrics", "TypeMetrics"]

_SUCCEEDED = "succeeded"  # JobState.SUCCEEDED, without importing the state machine here
_lock = threading.Lock()
_by_registry: weakref.WeakKeyDictionary[CollectorRegistry, JobMetrics] = (
    weakref.WeakKeyDictionary()
)


class TypeMetrics:
    """The label children of one job type, bound once so that the hot path skips ``labels()``.

    The children a successful run touches are bound on its first use, not here: a series
    appears with its first sample (``last_success`` with the first success).
    """

    __slots__ = ("_attempt_ok", "_owner", "_success", "in_progress", "items", "job_type", "started")

    def __init__(self, owner: JobMetrics, job_type: str) -> None:
        self._owner = owner
        self.job_type = job_type
        self.started = owner.runs_started.labels(job_type)
        self.in_progress = owner.in_progress.labels(job_type)
        self.items = owner.items_processed.labels(job_type)
        self._attempt_ok: Any = None
        self._success: tuple[Any, Any, Any] | None = None

    def attempt_succeeded(self) -> None:
        """Count an attempt that ended without an error class (``error_class=""``)."""
        child = self._attempt_ok
        if child is None:
            child = self._attempt_ok = self._owner.attempts.labels(self.job_type, "")
        child.inc()

    def run_succeeded(self, duration: float, timestamp: float) -> None:
        """Count a run that succeeded after ``duration`` seconds, at Unix time ``timestamp``."""
        children = self._success
        if children is None:
            owner, job_type = self._owner, self.job_type
            children = self._success = (
                owner.runs_finished.labels(job_type, _SUCCEEDED),
                owner.duration.labels(job_type, _SUCCEEDED),
                owner.last_success.labels(job_type),
            )
        finished, duration_child, last_success = children
        finished.inc()
        duration_child.observe(duration)
        last_success.set(timestamp)


class JobMetrics:
    """Job metrics in one registry, with job and exception types kept bounded.

    Args:
        registry: Where the metrics live; prometheus-client's global registry by default.
        max_job_types: Distinct ``job_type`` values before later ones share ``_other``.
        max_exception_types: Distinct ``exception_type`` values before the rest are ``_other``.
    """

    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        *,
        max_job_types: int = 100,
        max_exception_types: int = 200,
    ) -> None:
        self.registry = REGISTRY if registry is None else registry
        self.runs_started = metrics.counter(spec.RUNS_STARTED, self.registry)
        self.runs_finished = metrics.counter(spec.RUNS_FINISHED, self.registry)
        self.duration = metrics.histogram(spec.RUN_DURATION, self.registry)
        self.in_progress = metrics.gauge(spec.RUNS_IN_PROGRESS, self.registry)
        self.attempts = metrics.counter(spec.ATTEMPTS, self.registry)
        self.retries = metrics.counter(spec.RETRIES, self.registry)
        self.failures = metrics.counter(spec.FAILURES, self.registry)
        self.items_processed = metrics.counter(spec.ITEMS_PROCESSED, self.registry)
        self.last_success = metrics.gauge(spec.LAST_SUCCESS, self.registry)
        self.oldest_start = metrics.gauge(spec.OLDEST_RUNNING_START, self.registry)
        self.oldest_progress = metrics.gauge(spec.OLDEST_PROGRESS, self.registry)
        self.wait = metrics.histogram(spec.WAIT_DURATION, self.registry)
        # Weak references, read without a lock on every run start, progress and end: a tuple
        # replaced whole by watch() (a WeakSet's iteration costs more than the rest).
        self._sources: tuple[weakref.ref[RunningJobs], ...] = ()
        self.job_types = BoundedValues(max_job_types)
        self.exception_types = BoundedValues(max_exception_types)
        self._by_type: dict[str, TypeMetrics] = {}
        self._lock = threading.Lock()
        self._children: dict[tuple[object, ...], Any] = {}
        self._oldest: dict[str, tuple[float, float]] = {}  # what the gauges show, per type
        self._oldest_gauges: dict[str, tuple[Any, Any]] = {}  # their bound children, per type
        self._oldest_lock = threading.Lock()

    @classmethod
    def for_registry(cls, registry: CollectorRegistry | None = None) -> JobMetrics:
        """Return the one :class:`JobMetrics` of ``registry`` (the global one by default).

        Sharing it keeps the job-type cap and the running-jobs lists per registry, however
        many job types and wrappers use it.
        """
        registry = REGISTRY if registry is None else registry
        with _lock:
            found = _by_registry.get(registry)
            if found is None:
                found = _by_registry[registry] = cls(registry)
            return found

    def watch(self, running: RunningJobs) -> None:
        """Include the runs of ``running`` in the oldest-run timestamps of this registry."""
        with self._lock:
            alive = [ref for ref in self._sources if ref() is not None]
            if not any(ref() is running for ref in alive):
                alive.append(weakref.ref(running))
            self._sources = tuple(alive)

    def publish_oldest(
        self,
        job_type: str,
        *,
        starting: float | None = None,
        ending: float | None = None,
    ) -> None:
        """Set the oldest-start and oldest-progress timestamps of ``job_type`` (a label value)
        from the runs in progress now; ``+Inf`` when none runs.

        Called by the runs when they start, report progress and end, so the gauges need no
        scrape-time collector and survive multiprocess mode. The scan over the runs is
        skipped when the change cannot move either oldest: a run ``starting`` (its start
        time) while an older one runs, a run ``ending`` (its start time) that started after
        both oldest times, so that neither can be its own.
        """
        with self._oldest_lock:
            known = self._oldest.get(job_type)
            if known is not None:
                if starting is not None and known[0] <= starting:
                    return
                if ending is not None and ending > known[0] and ending > known[1]:
                    return
            start = progress = math.inf
            for ref in self._sources:
                running = ref()
                if running is None:
                    continue
                for run in running.runs():
                    if run.label_type != job_type:
                        continue
                    started = run.started_at
                    if started < start:
                        start = started
                    progressed = started + (run.last_progress_monotonic - run.started_monotonic)
                    if progressed < progress:
                        progress = progressed
            self._oldest[job_type] = (start, progress)
            gauges = self._oldest_gauges.get(job_type)
            if gauges is None:
                gauges = self._oldest_gauges[job_type] = (
                    self._child(self.oldest_start, job_type),
                    self._child(self.oldest_progress, job_type),
                )
            gauges[0].set(start)
            gauges[1].set(progress)

    def for_type(self, job_type: str) -> TypeMetrics:
        """Return the bound children for ``job_type`` (already bounded by the caller)."""
        found = self._by_type.get(job_type)
        if found is None:
            with self._lock:
                found = self._by_type.get(job_type)
                if found is None:
                    found = self._by_type[job_type] = TypeMetrics(self, job_type)
        return found

    def finished(
        self,
        job_type: str,
        status: str,
        duration: float,
        error_class: str | None = None,
        exception_type: str | None = None,
    ) -> None:
        """Count a run that reached its final ``status`` after ``duration`` seconds."""
        self._child(self.runs_finished, job_type, status).inc()
        self._child(self.duration, job_type, status).observe(duration)
        if error_class is not None:
            self._child(
                self.failures, job_type, error_class, self.exception_types(exception_type or "")
            ).inc()

    def succeeded_at(self, job_type: str, timestamp: float) -> None:
        """Record the time of a success (the series appears with the first success)."""
        self._child(self.last_success, job_type).set(timestamp)

    def attempt_finished(self, job_type: str, error_class: str | None) -> None:
        """Count a finished attempt; ``error_class`` is ``None`` unless it failed."""
        self._child(self.attempts, job_type, error_class or "").inc()

    def waited(self, job_type: str, queue: str, seconds: float) -> None:
        """Record that a run of ``job_type`` waited ``seconds`` in ``queue`` before it started."""
        self._child(self.wait, job_type, queue).observe(seconds if seconds > 0.0 else 0.0)

    def retry_scheduled(self, job_type: str, error_class: str) -> None:
        """Count a retry caused by an error of ``error_class``."""
        self._child(self.retries, job_type, error_class).inc()

    def _child(self, metric: MetricWrapperBase, *labels: str) -> Any:
        # labels() costs a lock and a tuple build per call; label values here are bounded,
        # so the bound children are cached for the life of the registry.
        key = (id(metric), *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def known_types(self) -> list[str]:
        """Return the job types seen so far (for scrape-time gauges reporting 0)."""
        return list(self._by_type)

    def __repr__(self) -> str:
        return f"JobMetrics(registry={self.registry!r})"
