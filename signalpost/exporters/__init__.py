"""Signalpost exporters: where telemetry leaves the process (OpenTelemetry SDK set-up, OTLP,
the Prometheus endpoint, JSON logs)."""

from __future__ import annotations

from signalpost.exporters.config import SettingsError, SignalpostConfig, load_config
from signalpost.exporters.setup import Telemetry, setup

__all__ = ["SettingsError", "SignalpostConfig", "Telemetry", "load_config", "setup"]
