"""Creating prometheus-client metrics from the definitions in
:mod:`signalpost.semconv`.

Each metric is created once per registry, so several components (or several apps in one
test process) that share a registry share its metrics instead of failing on a duplicate name.
"""

from __future__ import annotations

import threading
import weakref
from typing import cast

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

from signalpost.semconv import MetricSpec

__all__ = ["counter", "gauge", "histogram", "metric_for"]

_lock = threading.Lock()
_created: weakref.WeakKeyDictionary[CollectorRegistry, dict[str, MetricWrapperBase]] = (
    weakref.WeakKeyDictionary()
)


def metric_for(
    spec: MetricSpec,
    registry: CollectorRegistry | None = None,
    *,
    buckets: tuple[float, ...] | None = None,
) -> MetricWrapperBase:
    """Return the prometheus-client metric for ``spec`` in ``registry``, creating it once.

    Args:
        spec: The metric definition.
        registry: Where to register; defaults to prometheus-client's global ``REGISTRY``.
        buckets: Histogram buckets overriding ``spec.buckets`` (used only on first creation).
    """
    registry = REGISTRY if registry is None else registry
    with _lock:
        per_registry = _created.setdefault(registry, {})
        existing = per_registry.get(spec.name)
        if existing is not None:
            return existing
        metric: MetricWrapperBase
        common = {
            "name": spec.name,
            "documentation": spec.help,
            "labelnames": spec.labels,
            "registry": registry,
            "unit": spec.unit,
        }
        if spec.kind == "counter":
            metric = Counter(**common)  # type: ignore[arg-type]
        elif spec.kind == "gauge":
            metric = Gauge(**common, multiprocess_mode=spec.multiprocess_mode)  # type: ignore[arg-type]
        else:
            chosen = buckets or spec.buckets or Histogram.DEFAULT_BUCKETS
            metric = Histogram(**common, buckets=chosen)  # type: ignore[arg-type]
        per_registry[spec.name] = metric
        return metric


def counter(spec: MetricSpec, registry: CollectorRegistry | None = None) -> Counter:
    """Return the :class:`~prometheus_client.Counter` for a counter ``spec``."""
    _expect(spec, "counter")
    return cast(Counter, metric_for(spec, registry))


def gauge(spec: MetricSpec, registry: CollectorRegistry | None = None) -> Gauge:
    """Return the :class:`~prometheus_client.Gauge` for a gauge ``spec``."""
    _expect(spec, "gauge")
    return cast(Gauge, metric_for(spec, registry))


def histogram(
    spec: MetricSpec,
    registry: CollectorRegistry | None = None,
    *,
    buckets: tuple[float, ...] | None = None,
) -> Histogram:
    """Return the :class:`~prometheus_client.Histogram` for a histogram ``spec``."""
    _expect(spec, "histogram")
    return cast(Histogram, metric_for(spec, registry, buckets=buckets))


def _expect(spec: MetricSpec, kind: str) -> None:
    if spec.kind != kind:
        raise TypeError(f"metric {spec.name} is a {spec.kind}, not a {kind}")
