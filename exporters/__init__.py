"""Signalpost exporters: where telemetry leaves the process (OpenTelemetry SDK set-up, OTLP,
the Prometheus endpoint, JSON logs)."""

from __future__ import annotations

__all__: list[str] = []
