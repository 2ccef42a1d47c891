"""Scrape-time gauges: age of the oldest running job and time since progress, per job type.

Computed when Prometheus scrapes, from the running-jobs registries, so that "stuck" (a run
that has not progressed for an hour) is visible even though the stuck code reports nothing.

Multiprocess caveat: with prometheus-client's multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``,
gunicorn workers) the exposition reads only the worker files, not custom collectors, so these
two gauges are missing there. Run jobs in a worker process that serves its own registry (see
``docs/jobs.md``).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable

from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from signalpost.instrumentation.jobs.registry import JobRegistry
from signalpost.instrumentation.semconv import jobs as spec
from signalpost.instrumentation.semconv._spec import MetricSpec

__all__ = ["JobCollector"]


class JobCollector(Collector):
    """A prometheus-client collector for the scrape-time job gauges.

    Args:
        known_types: Returns the job types seen so far; each gets a sample (0 when none of its
            runs is running) so that dashboards show a flat line rather than no data.
    """

    def __init__(self, known_types: Callable[[], Iterable[str]] = list) -> None:
        self._known_types = known_types
        self._sources: weakref.WeakSet[JobRegistry] = weakref.WeakSet()

    def add_source(self, jobs: JobRegistry) -> None:
        """Include the runs of ``jobs`` in the gauges."""
        self._sources.add(jobs)

    def describe(self) -> Iterable[Metric]:
        """Declare the two families (lets the registry detect duplicate names)."""
        return [self._family(spec.OLDEST_RUNNING_AGE), self._family(spec.PROGRESS_AGE)]

    def collect(self) -> Iterable[Metric]:
        """Compute both gauges from the runs in progress now."""
        oldest: dict[str, float] = dict.fromkeys(self._known_types(), 0.0)
        stalest: dict[str, float] = dict(oldest)
        for jobs in list(self._sources):
            for run in jobs.handles():
                now = run.monotonic()
                label = run.label_type
                age = max(0.0, now - run.started_monotonic)
                since = max(0.0, now - run.last_progress_monotonic)
                if age > oldest.get(label, -1.0):
                    oldest[label] = age
                if since > stalest.get(label, -1.0):
                    stalest[label] = since
        age_family = self._family(spec.OLDEST_RUNNING_AGE)
        for label, value in oldest.items():
            age_family.add_metric([label], value)
        progress_family = self._family(spec.PROGRESS_AGE)
        for label, value in stalest.items():
            progress_family.add_metric([label], value)
        return [age_family, progress_family]

    @staticmethod
    def _family(metric: MetricSpec) -> GaugeMetricFamily:
        return GaugeMetricFamily(
            metric.name, metric.help, labels=list(metric.labels), unit=metric.unit
        )
