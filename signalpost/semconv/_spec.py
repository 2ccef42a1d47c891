"""The shape of a metric definition, shared by every domain module in this package."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["MetricKind", "MetricSpec", "prometheus_label"]

MetricKind = Literal["counter", "gauge", "histogram"]


def prometheus_label(attribute: str) -> str:
    """Return the Prometheus label name for an OpenTelemetry attribute key.

    Prometheus allows ``[a-zA-Z_][a-zA-Z0-9_]*``; OpenTelemetry's translation replaces every
    other character (dots, dashes) by an underscore.
    """
    return "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in attribute)


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One metric: its name, unit, help text and label keys, defined once.

    Attributes:
        name: Prometheus metric family name, in base units (``_seconds``, ``_bytes``). Counters
            are named without ``_total``; the exposition appends it.
        kind: ``counter``, ``gauge`` or ``histogram``.
        unit: Base unit as Prometheus spells it (``seconds``), or ``""`` for a plain count.
        help: One sentence shown in ``# HELP``.
        attributes: OpenTelemetry attribute keys, in label order.
        otel_name: The OpenTelemetry instrument name, for OTLP export.
        otel_unit: The UCUM unit OpenTelemetry uses (``s``, ``By``, ``{request}``).
        buckets: Histogram bucket upper bounds in base units.
        multiprocess_mode: How prometheus-client combines a gauge across worker processes.
    """

    name: str
    kind: MetricKind
    unit: str
    help: str
    attributes: tuple[str, ...]
    otel_name: str
    otel_unit: str
    buckets: tuple[float, ...] | None = None
    multiprocess_mode: str = "livesum"

    @property
    def labels(self) -> tuple[str, ...]:
        """Prometheus label names, in the order of :attr:`attributes`."""
        return tuple(prometheus_label(a) for a in self.attributes)

    @property
    def exposition_name(self) -> str:
        """The name a scrape shows for the main series (``_total`` for counters)."""
        return f"{self.name}_total" if self.kind == "counter" else self.name
