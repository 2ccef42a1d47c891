"""Checks of the ``OTEL_*`` variables that Signalpost's SDK set-up reads, before anything uses them.

The OpenTelemetry SDK reports a bad variable late (the first export fails), vaguely (a bare
``ValueError`` naming no variable) or not at all (``http/json`` silently unsupported). Start-up
and ``python -m signalpost check-config`` both call :func:`check_otel_environment`, which raises
:class:`~signalpost.sdk.config.SettingsError` naming the variable, what was expected and
(truncated) what was given. Variables not listed here are left to the SDK.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from signalpost._yamlsource import shown
from signalpost.sdk.config import SettingsError

__all__ = ["OtelSettings", "check_otel_environment"]

_PROTOCOLS = ("http/protobuf", "grpc")
_EXPORTERS = ("otlp", "console", "none")
_SIGNALS = ("TRACES", "LOGS", "METRICS")
_SAMPLERS = (
    "always_on",
    "always_off",
    "traceidratio",
    "parentbased_always_on",
    "parentbased_always_off",
    "parentbased_traceidratio",
)
_HEADER_KEY = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


@dataclass(frozen=True)
class OtelSettings:
    """The checked choices that Signalpost itself acts on."""

    sdk_disabled: bool
    exporters: dict[str, list[str]]  # signal ("TRACES") -> ["otlp", "console"], [] for none
    protocols: dict[str, str]  # signal -> "grpc" or "http/protobuf"


def _fail(variable: str, expected: str, raw: str, secret: bool = False) -> SettingsError:
    return SettingsError(
        f"environment variable {variable}", variable, expected, "<hidden>" if secret else shown(raw)
    )


def _positive_int(variable: str, raw: str) -> int:
    if not re.fullmatch(r"\s*\d+\s*", raw) or int(raw) <= 0:
        raise _fail(variable, "a whole number greater than 0", raw)
    return int(raw)


def _url(variable: str, raw: str) -> None:
    expected = "an absolute http:// or https:// URL such as http://collector:4318"
    text = raw.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise _fail(variable, expected, raw) from None
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() for c in text)
        or (port is not None and not 0 < port < 65536)
    ):
        raise _fail(variable, expected, raw)


def _pairs(variable: str, raw: str, secret: bool) -> None:
    for item in raw.split(","):
        if not item.strip():
            continue
        key, equals, _ = item.partition("=")
        if not equals or not _HEADER_KEY.fullmatch(key.strip()):
            raise _fail(variable, "comma-separated key=value pairs", raw, secret)


def _one_of(variable: str, raw: str, allowed: tuple[str, ...], note: str = "") -> str:
    value = raw.strip().lower()
    if value not in allowed:
        raise _fail(variable, "one of " + ", ".join(allowed) + note, raw)
    return value


def _exporter_list(variable: str, raw: str, default: str) -> list[str]:
    text = raw.strip().lower() or default
    values = [v.strip() for v in text.split(",")]
    expected = "a comma-separated list of otlp, console (or none alone)"
    if any(v not in _EXPORTERS for v in values) or ("none" in values and len(values) > 1):
        raise _fail(variable, expected, raw)
    if len(set(values)) != len(values):
        raise _fail(variable, expected + ", each once", raw)
    return [v for v in values if v != "none"]


def check_otel_environment(env: Mapping[str, str], otlp_metrics: bool = False) -> OtelSettings:
    """Check the ``OTEL_*`` variables Signalpost and the SDK read at set-up.

    Args:
        env: The environment (``os.environ``).
        otlp_metrics: Whether metrics go through OTLP when ``OTEL_METRICS_EXPORTER`` is unset.

    Raises:
        SettingsError: naming the variable, what was expected and what was given.
    """
    for variable, check in _value_checks().items():
        raw = env.get(variable)
        if raw is not None and raw.strip():
            check(variable, raw)
    _check_combinations(env)
    defaults = {"TRACES": "otlp", "LOGS": "otlp", "METRICS": "otlp" if otlp_metrics else "none"}
    exporters = {
        signal: _exporter_list(name, env.get(name, ""), default)
        for signal, default in defaults.items()
        for name in (f"OTEL_{signal}_EXPORTER",)
    }
    protocols = {signal: _protocol(env, signal) for signal in _SIGNALS}
    disabled = env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"
    return OtelSettings(disabled, exporters, protocols)


def _value_checks() -> dict[str, Callable[[str, str], object]]:
    """The check of each variable's value on its own, by variable."""
    checks: dict[str, Callable[[str, str], object]] = {
        "OTEL_SDK_DISABLED": lambda n, v: _one_of(n, v, ("true", "false")),
        "OTEL_TRACES_SAMPLER": lambda n, v: _one_of(n, v, _SAMPLERS),
        "OTEL_RESOURCE_ATTRIBUTES": lambda n, v: _pairs(n, v, secret=False),
        "OTEL_METRIC_EXPORT_INTERVAL": _positive_int,
        "OTEL_METRIC_EXPORT_TIMEOUT": _positive_int,
    }
    for prefix in ("OTEL_BSP_", "OTEL_BLRP_"):
        for name in ("SCHEDULE_DELAY", "EXPORT_TIMEOUT", "MAX_QUEUE_SIZE", "MAX_EXPORT_BATCH_SIZE"):
            checks[prefix + name] = _positive_int
    for infix in ("", *(f"{s}_" for s in _SIGNALS)):
        base = f"OTEL_EXPORTER_OTLP_{infix}"
        checks[base + "ENDPOINT"] = _url
        checks[base + "TIMEOUT"] = _positive_int
        checks[base + "HEADERS"] = lambda n, v: _pairs(n, v, secret=True)
        checks[base + "COMPRESSION"] = lambda n, v: _one_of(n, v, ("gzip", "deflate", "none"))
        checks[base + "PROTOCOL"] = lambda n, v: _one_of(
            n, v, _PROTOCOLS, " (http/json is not supported)"
        )
    return checks


def _check_combinations(env: Mapping[str, str]) -> None:
    """The checks of values that depend on another variable's."""
    for prefix in ("OTEL_BSP_", "OTEL_BLRP_"):
        queue = env.get(prefix + "MAX_QUEUE_SIZE", "").strip()
        batch = env.get(prefix + "MAX_EXPORT_BATCH_SIZE", "").strip()
        if batch and int(batch) > (int(queue) if queue else 2048):
            raise _fail(
                prefix + "MAX_EXPORT_BATCH_SIZE",
                f"at most {prefix}MAX_QUEUE_SIZE ({queue or 2048})",
                batch,
            )
    sampler = env.get("OTEL_TRACES_SAMPLER", "").strip().lower()
    argument = env.get("OTEL_TRACES_SAMPLER_ARG", "").strip()
    if argument and sampler.endswith("traceidratio"):
        try:
            ratio = float(argument)
        except ValueError:
            ratio = -1.0
        if not 0.0 <= ratio <= 1.0:
            raise _fail("OTEL_TRACES_SAMPLER_ARG", "a number from 0 to 1", argument)


def _protocol(env: Mapping[str, str], signal: str) -> str:
    """The OTLP protocol of ``signal``: its own variable, else the general one."""
    for variable in (f"OTEL_EXPORTER_OTLP_{signal}_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"):
        if env.get(variable, "").strip():
            return env[variable].strip().lower()
    return "http/protobuf"
