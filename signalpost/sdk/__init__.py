"""SDK set-up: :func:`setup` and the parts it runs (configuration, OpenTelemetry providers
and OTLP exporters, logging with JSON lines and OTLP records, the last scrub of exported
spans, shut-down)."""

from __future__ import annotations

from signalpost.sdk.config import SettingsError, SignalpostConfig, load_config
from signalpost.sdk.setup import Telemetry, setup
from signalpost.sdk.setup_options import JobSources, SetupOptions

__all__ = [
    "JobSources",
    "SettingsError",
    "SetupOptions",
    "SignalpostConfig",
    "Telemetry",
    "load_config",
    "setup",
]
