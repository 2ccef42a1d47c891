"""The HTTP metrics through OpenTelemetry, for OTLP export beside the Prometheus ones."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opentelemetry.metrics import MeterProvider

from signalpost.semconv import http as http_metrics

__all__ = ["otel_instruments"]


def otel_instruments(
    meter_provider: MeterProvider | None, scope_name: str, buckets: Sequence[float] | None
) -> tuple[Any, Any]:
    """The request-duration histogram and the active-requests counter on ``meter_provider``,
    or ``(None, None)`` without one."""
    if meter_provider is None:
        return None, None
    meter = meter_provider.get_meter(scope_name)
    spec = http_metrics.REQUEST_DURATION
    duration = meter.create_histogram(
        spec.otel_name,
        unit=spec.otel_unit,
        description=spec.help,
        explicit_bucket_boundaries_advisory=list(buckets or spec.buckets or ()),
    )
    active_spec = http_metrics.ACTIVE_REQUESTS
    active = meter.create_up_down_counter(
        active_spec.otel_name, unit=active_spec.otel_unit, description=active_spec.help
    )
    return duration, active
