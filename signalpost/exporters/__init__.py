"""Signalpost exporters: where telemetry leaves the process (OpenTelemetry SDK set-up, OTLP,
the Prometheus endpoint, JSON logs)."""

from __future__ import annotations

from signalpost.exporters.config import ConfigError, SignalpostConfig, load_config
from signalpost.exporters.setup import Telemetry, setup

__all__ = ["ConfigError", "SignalpostConfig", "Telemetry", "load_config", "setup"]
