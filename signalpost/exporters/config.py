"""Signalpost's own settings: what OpenTelemetry has no environment variable for.

Sources, strongest first: values passed to :func:`load_config`, ``SIGNALPOST_<SECTION>_<KEY>``
environment variables, a YAML file (``SIGNALPOST_CONFIG_FILE`` or the ``path`` argument), then
the defaults below. Everything is validated once at start-up: an unknown key, a wrong type or a
bad value raises :class:`ConfigError` naming the source (file and line, or the variable), the
key and what was expected. Standard ``OTEL_*`` variables are left to the OpenTelemetry SDK.

The dataclasses below are the single reference: ``docs/configuration.md`` is generated from
them (``python -m signalpost config-reference``).
"""

from __future__ import annotations

import dataclasses
import os
import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from signalpost.instrumentation.asgi import DEFAULT_EXCLUDED_PATHS
from signalpost.instrumentation.requestid import DEFAULT_HEADER
from signalpost.instrumentation.semconv.http import DEFAULT_DURATION_BUCKETS

__all__ = [
    "CONFIG_FILE_VARIABLE",
    "ENV_PREFIX",
    "ConfigError",
    "ErrorsConfig",
    "HttpConfig",
    "JobsConfig",
    "LoggingConfig",
    "MetricsConfig",
    "SignalpostConfig",
    "TracingConfig",
    "load_config",
]

ENV_PREFIX = "SIGNALPOST_"
CONFIG_FILE_VARIABLE = "SIGNALPOST_CONFIG_FILE"
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(ValueError):
    """A configuration value is unknown, of the wrong type or out of range.

    Attributes:
        source: Where the value came from: ``path:line`` of a YAML file, an environment
            variable name, or ``argument``.
        key: The dotted key (``metrics.port``).
        expected: What would have been accepted.
    """

    def __init__(self, source: str, key: str, expected: str, got: object = None) -> None:
        self.source = source
        self.key = key
        self.expected = expected
        detail = f", got {got!r}" if got is not None else ""
        super().__init__(f"{source}: {key}: expected {expected}{detail}")


def _doc(text: str, check: Callable[[Any], str | None] | None = None) -> dict[str, Any]:
    return {"doc": text, "check": check}


def _positive(value: Any) -> str | None:
    return None if value > 0 else "a number greater than 0"


def _port(value: Any) -> str | None:
    if value is None or 1 <= value <= 65535:
        return None
    return "a port number from 1 to 65535"


def _url_path(value: Any) -> str | None:
    if isinstance(value, str) and value.startswith("/") and " " not in value:
        return None
    return "a URL path starting with '/'"


def _paths(value: Any) -> str | None:
    bad = [v for v in value if _url_path(v)]
    return "URL paths or glob patterns starting with '/'" if bad else None


def _header(value: Any) -> str | None:
    return None if _TOKEN.fullmatch(value) else "an HTTP header name (letters, digits, '-')"


def _buckets(value: Any) -> str | None:
    if value and all(b > 0 for b in value) and list(value) == sorted(set(value)):
        return None
    return "a non-empty list of increasing positive numbers (seconds)"


def _level(value: Any) -> str | None:
    return None if value.upper() in _LOG_LEVELS else "one of " + ", ".join(_LOG_LEVELS)


@dataclass(frozen=True)
class HttpConfig:
    """HTTP middleware settings."""

    excluded_paths: list[str] = field(
        default_factory=lambda: list(DEFAULT_EXCLUDED_PATHS),
        metadata=_doc("Paths (globs allowed) passed through without metrics or spans.", _paths),
    )
    request_id_header: str = field(
        default=DEFAULT_HEADER,
        metadata=_doc("Header read for a client request ID and set on responses.", _header),
    )
    trust_request_id: bool = field(
        default=True,
        metadata=_doc("Keep a safe client-sent request ID; false always generates one."),
    )
    duration_buckets: list[float] = field(
        default_factory=lambda: list(DEFAULT_DURATION_BUCKETS),
        metadata=_doc("Request duration histogram buckets, in seconds.", _buckets),
    )
    max_routes: int = field(
        default=500,
        metadata=_doc("Distinct route label values before the rest count as _other.", _positive),
    )


@dataclass(frozen=True)
class TracingConfig:
    """Tracing settings (sampling and export are OTEL_* variables)."""

    enabled: bool = field(
        default=True,
        metadata=_doc("Create server spans; false keeps metrics, request IDs and errors only."),
    )


@dataclass(frozen=True)
class ErrorsConfig:
    """Error capture settings."""

    scrub_keys: list[str] = field(
        default_factory=list,
        metadata=_doc(
            "Key fragments scrubbed in addition to the built-in ones (authorization, cookie, "
            "password, token, api_key, secret ...)."
        ),
    )
    max_exception_types: int = field(
        default=200,
        metadata=_doc("Distinct exception_type label values before _other.", _positive),
    )


@dataclass(frozen=True)
class MetricsConfig:
    """The Prometheus endpoint."""

    enabled: bool = field(default=True, metadata=_doc("Serve Prometheus metrics."))
    path: str = field(
        default="/metrics", metadata=_doc("Path of the endpoint on the app.", _url_path)
    )
    port: int | None = field(
        default=None,
        metadata=_doc("Serve on this port of its own instead of on the app.", _port),
    )
    address: str = field(default="0.0.0.0", metadata=_doc("Address for the own-port server."))
    gzip: bool = field(default=True, metadata=_doc("Compress when the scraper accepts gzip."))
    bearer_token: str | None = field(
        default=None, metadata=_doc("Require this bearer token (prefer the variable).")
    )
    basic_auth_username: str | None = field(
        default=None, metadata=_doc("Require basic auth with this user name.")
    )
    basic_auth_password: str | None = field(
        default=None, metadata=_doc("Password for basic auth (prefer the variable).")
    )
    otlp: bool = field(
        default=False,
        metadata=_doc("Also export HTTP metrics through OTLP (OTEL_EXPORTER_OTLP_* apply)."),
    )
    created_series: bool = field(
        default=False,
        metadata=_doc(
            "Expose prometheus-client's `_created` series. Off: in the text format Prometheus "
            "stores each as one more series (process-wide setting)."
        ),
    )


@dataclass(frozen=True)
class JobsConfig:
    """The running-jobs endpoints (list, detail, cancel), under the metrics endpoint's auth."""

    enabled: bool = field(default=True, metadata=_doc("Serve the running-jobs endpoints."))
    path: str = field(
        default="/jobs",
        metadata=_doc("Where: on the app, or on the metrics port in a worker.", _url_path),
    )


@dataclass(frozen=True)
class LoggingConfig:
    """Log output."""

    json: bool = field(
        default=True,
        metadata=_doc("Write JSON lines to stderr, with trace, span and request IDs."),
    )
    level: str = field(default="INFO", metadata=_doc("Root log level.", _level))
    otlp: bool = field(
        default=True,
        metadata=_doc("Send log records (errors included) through OTLP when the SDK is on."),
    )


@dataclass(frozen=True)
class SignalpostConfig:
    """All Signalpost settings, one section per component."""

    http: HttpConfig = field(default_factory=HttpConfig)
    tracing: TracingConfig = field(default_factory=TracingConfig)
    errors: ErrorsConfig = field(default_factory=ErrorsConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    jobs: JobsConfig = field(default_factory=JobsConfig)


def _sections() -> dict[str, type[Any]]:
    hints = typing.get_type_hints(SignalpostConfig)
    return {f.name: hints[f.name] for f in dataclasses.fields(SignalpostConfig)}


def _describe(tp: Any) -> str:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (types.UnionType, typing.Union):
        inner = [a for a in args if a is not type(None)]
        return _describe(inner[0]) + " or null"
    if origin is list:
        return f"a list of {_describe(args[0])}s"
    return {bool: "boolean", int: "integer", float: "number", str: "string"}[tp]


def _convert(tp: Any, value: Any, from_env: bool) -> Any:
    """Return ``value`` as type ``tp`` or raise ``TypeError``."""
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        if value is None or (from_env and value == ""):
            return None
        inner = next(a for a in typing.get_args(tp) if a is not type(None))
        return _convert(inner, value, from_env)
    if origin is list:
        (item_type,) = typing.get_args(tp)
        if from_env and isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list):
            raise TypeError
        return [_convert(item_type, v, from_env) for v in value]
    if tp is bool:
        if isinstance(value, bool):
            return value
        if from_env and isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
            return value.lower() in ("true", "1")
        raise TypeError
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if from_env and isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            return int(value)
        raise TypeError
    if tp is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if from_env and isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                raise TypeError from None
        raise TypeError
    if tp is str:
        if isinstance(value, str):
            return value
        raise TypeError
    raise TypeError


def _validated(section: type[Any], key: str, value: Any, source: str, from_env: bool) -> Any:
    fields = {f.name: f for f in dataclasses.fields(section)}
    dotted = f"{_section_name(section)}.{key}"
    spec = fields.get(key)
    if spec is None:
        raise ConfigError(source, dotted, "one of: " + ", ".join(fields), None)
    tp = typing.get_type_hints(section)[key]
    shown = "<hidden>" if any(s in key for s in ("token", "password")) else value
    try:
        converted = _convert(tp, value, from_env)
    except TypeError:
        raise ConfigError(source, dotted, _describe(tp), shown) from None
    check = spec.metadata.get("check")
    if check is not None and converted is not None:
        problem = check(converted)
        if problem:
            raise ConfigError(source, dotted, problem, shown)
    return converted


def _section_name(section: type[Any]) -> str:
    return next(name for name, tp in _sections().items() if tp is section)


def _read_file(path: Path) -> dict[str, dict[str, tuple[Any, str]]]:
    """Parse the YAML file into {section: {key: (value, "file:line")}}."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), "(file)", "a readable YAML file", exc.strerror) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ConfigError(where, "(syntax)", "valid YAML", str(exc).splitlines()[0]) from None
    out: dict[str, dict[str, tuple[Any, str]]] = {}
    if root is None:
        return out
    sections = _sections()
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError(f"{path}:{root.start_mark.line + 1}", "(top level)", "a mapping")
    loader = yaml.SafeLoader("")
    for key_node, value_node in root.value:
        name = key_node.value
        where = f"{path}:{key_node.start_mark.line + 1}"
        if name not in sections:
            raise ConfigError(where, str(name), "a section: " + ", ".join(sections))
        if not isinstance(value_node, yaml.MappingNode):
            raise ConfigError(where, str(name), "a mapping of settings")
        entries = out.setdefault(name, {})
        for sub_key, sub_value in value_node.value:
            line = f"{path}:{sub_key.start_mark.line + 1}"
            entries[sub_key.value] = (loader.construct_object(sub_value, deep=True), line)
    return out


def load_config(
    path: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> SignalpostConfig:
    """Load and validate Signalpost's settings.

    Args:
        path: YAML file to read; defaults to ``$SIGNALPOST_CONFIG_FILE``; no file is fine.
        environ: Environment to read ``SIGNALPOST_*`` variables from (default ``os.environ``).
        overrides: Explicit values, ``{"metrics": {"port": 9464}}``; they win over everything.

    Raises:
        ConfigError: naming the file and line or the variable, the key and what was expected.

    Environment variables: ``SIGNALPOST_CONFIG_FILE`` and ``SIGNALPOST_<SECTION>_<KEY>`` for
    every key (``SIGNALPOST_METRICS_PORT=9464``; lists are comma-separated).
    """
    env = os.environ if environ is None else environ
    sections = _sections()
    values: dict[str, dict[str, Any]] = {name: {} for name in sections}

    file_name = path if path is not None else env.get(CONFIG_FILE_VARIABLE) or None
    if file_name is not None:
        for name, file_entries in _read_file(Path(file_name)).items():
            for key, (value, where) in file_entries.items():
                values[name][key] = _validated(sections[name], key, value, where, False)

    for variable, value in env.items():
        if not variable.startswith(ENV_PREFIX) or variable == CONFIG_FILE_VARIABLE:
            continue
        rest = variable[len(ENV_PREFIX) :].lower()
        section = next((s for s in sections if rest.startswith(s + "_")), None)
        if section is None:
            raise ConfigError(
                f"environment variable {variable}",
                rest,
                "SIGNALPOST_<SECTION>_<KEY> with a section of: " + ", ".join(sections),
            )
        key = rest[len(section) + 1 :]
        source = f"environment variable {variable}"
        values[section][key] = _validated(sections[section], key, value, source, True)

    for name, entries in (overrides or {}).items():
        if name not in sections:
            raise ConfigError("argument", name, "a section: " + ", ".join(sections))
        for key, value in entries.items():
            values[name][key] = _validated(sections[name], key, value, "argument", False)

    return SignalpostConfig(**{name: sections[name](**values[name]) for name in sections})


def markdown_reference() -> str:
    """Return the configuration reference as Markdown (``docs/configuration.md``)."""
    lines = [
        "# Configuration reference",
        "",
        "<!-- Generated by `python -m signalpost config-reference`; do not edit. -->",
        "",
        "Precedence, strongest first: arguments to `signalpost.exporters.setup()`, `SIGNALPOST_*`",
        f"environment variables, the YAML file named by `{CONFIG_FILE_VARIABLE}` (or passed to",
        "`setup(config_file=...)`), then the defaults below. Unknown keys, wrong types and bad",
        "values stop start-up with an error naming the file and line (or the variable), the key",
        "and what was expected.",
        "",
        "Standard OpenTelemetry variables (`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`,",
        "`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_PROTOCOL`,",
        "`OTEL_EXPORTER_OTLP_HEADERS`,",
        "`OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`, `OTEL_SDK_DISABLED`, `OTEL_BSP_*`,",
        "`OTEL_BLRP_*`, `OTEL_PROPAGATORS`, ...) are read by the OpenTelemetry SDK as its",
        "documentation defines them.",
        "",
    ]
    for name, section in _sections().items():
        lines += [f"## `{name}`", "", section.__doc__ or "", ""]
        lines += ["| key | variable | type | default | meaning |", "|---|---|---|---|---|"]
        hints = typing.get_type_hints(section)
        for spec in dataclasses.fields(section):
            if spec.default_factory is not dataclasses.MISSING:
                default: Any = spec.default_factory()
            else:
                default = spec.default
            variable = f"{ENV_PREFIX}{name.upper()}_{spec.name.upper()}"
            shown = yaml.safe_dump(default, default_flow_style=True)
            shown = shown.strip().removesuffix("...").strip()
            lines.append(
                f"| `{name}.{spec.name}` | `{variable}` | {_describe(hints[spec.name])} "
                f"| `{shown}` | {spec.metadata['doc']} |"
            )
        lines.append("")
    return "\n".join(lines)

