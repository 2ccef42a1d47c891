"""The models of Signalpost's settings: one pydantic model per section, with each key's type,
range, default and description.

They are the single reference: :func:`signalpost.sdk.config.load_config` validates against
them and ``docs/configuration.md`` is generated from them.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from signalpost.http.middleware import DEFAULT_EXCLUDED_PATHS
from signalpost.http.requestid import DEFAULT_HEADER
from signalpost.semconv.http import DEFAULT_DURATION_BUCKETS

__all__ = [
    "CONFIG_FILE_VARIABLE",
    "ENV_PREFIX",
    "ErrorsConfig",
    "ExportConfig",
    "HttpConfig",
    "JobsConfig",
    "LoggingConfig",
    "LookupConfig",
    "MetricsConfig",
    "Section",
    "SignalpostConfig",
    "TracingConfig",
    "describe",
    "keys",
    "sections",
]

ENV_PREFIX = "SIGNALPOST_"
CONFIG_FILE_VARIABLE = "SIGNALPOST_CONFIG_FILE"
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _check(predicate: typing.Callable[[Any], bool], expected: str) -> AfterValidator:
    def check(value: Any) -> Any:
        if value is not None and not predicate(value):
            raise ValueError(expected)
        return value

    return AfterValidator(check)


def _url_path(value: str) -> bool:
    return value.startswith("/") and " " not in value


_Positive = Annotated[int, _check(lambda v: v > 0, "a number greater than 0")]
_Seconds = Annotated[float, _check(lambda v: 0 < v <= 600, "a number of seconds from 0 to 600")]
_Port = Annotated[int, _check(lambda v: 1 <= v <= 65535, "a port number from 1 to 65535")]
_UrlPath = Annotated[str, _check(_url_path, "a URL path starting with '/'")]
_Paths = Annotated[
    list[str],
    _check(lambda v: all(map(_url_path, v)), "URL paths or glob patterns starting with '/'"),
]
_Header = Annotated[
    str, _check(lambda v: bool(_TOKEN.fullmatch(v)), "an HTTP header name (letters, digits, '-')")
]
_Buckets = Annotated[
    list[float],
    _check(
        lambda v: bool(v) and all(b > 0 for b in v) and list(v) == sorted(set(v)),
        "a non-empty list of increasing positive numbers (seconds)",
    ),
]
_Level = Annotated[
    str, _check(lambda v: v.upper() in _LOG_LEVELS, "one of " + ", ".join(_LOG_LEVELS))
]


class Section(BaseModel):
    """One section of the settings: unknown keys are errors, values are frozen and strict."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class HttpConfig(Section):
    """HTTP middleware settings."""

    excluded_paths: _Paths = Field(
        default_factory=lambda: list(DEFAULT_EXCLUDED_PATHS),
        description="Paths (globs allowed) passed through without metrics or spans.",
    )
    request_id_header: _Header = Field(
        default=DEFAULT_HEADER,
        description="Header read for a client request ID and set on responses.",
    )
    trust_request_id: bool = Field(
        default=True,
        description="Keep a safe client-sent request ID; false always generates one.",
    )
    duration_buckets: _Buckets = Field(
        default_factory=lambda: list(DEFAULT_DURATION_BUCKETS),
        description="Request duration histogram buckets, in seconds.",
    )
    max_routes: _Positive = Field(
        default=500,
        description="Distinct route label values before the rest count as _other.",
    )


class TracingConfig(Section):
    """Tracing settings (sampling and export are OTEL_* variables)."""

    enabled: bool = Field(
        default=True,
        description="Create server spans; false keeps metrics, request IDs and errors only.",
    )
    recommended_attributes: bool = Field(
        default=False,
        description="Also put the HTTP conventions' recommended attributes on server spans "
        "(network.protocol.version, server.address, server.port, client.address, "
        "user_agent.original); the default keeps the required ones only, a cheaper span to "
        "record, scrub and export.",
    )


class ErrorsConfig(Section):
    """Error capture settings."""

    scrub_keys: list[str] = Field(
        default_factory=list,
        description=(
            "Key fragments scrubbed in addition to the built-in ones (authorization, cookie, "
            "password, token, api_key, secret ...)."
        ),
    )
    max_exception_types: _Positive = Field(
        default=200, description="Distinct exception_type label values before _other."
    )


class MetricsConfig(Section):
    """The Prometheus endpoint."""

    enabled: bool = Field(default=True, description="Serve Prometheus metrics.")
    path: _UrlPath = Field(default="/metrics", description="Path of the endpoint on the app.")
    port: _Port | None = Field(
        default=None, description="Serve on this port of its own instead of on the app."
    )
    address: str = Field(
        default="0.0.0.0",
        description=(
            "Address for the own-port server: all interfaces, for scrapers (cancel is refused "
            "there without credentials); 127.0.0.1 keeps it local."
        ),
    )
    gzip: bool = Field(default=True, description="Compress when the scraper accepts gzip.")
    bearer_token: str | None = Field(
        default=None, description="Require this bearer token (prefer the variable)."
    )
    basic_auth_username: str | None = Field(
        default=None, description="Require basic auth with this user name."
    )
    basic_auth_password: str | None = Field(
        default=None, description="Password for basic auth (prefer the variable)."
    )
    otlp: bool = Field(
        default=False,
        description="Also export HTTP metrics through OTLP (OTEL_EXPORTER_OTLP_* apply).",
    )
    created_series: bool = Field(
        default=False,
        description=(
            "Expose prometheus-client's `_created` series. Off: in the text format Prometheus "
            "stores each as one more series (process-wide setting)."
        ),
    )


class JobsConfig(Section):
    """The running-jobs endpoints (list, detail, cancel), under the metrics endpoint's auth."""

    enabled: bool = Field(default=True, description="Serve the running-jobs endpoints.")
    path: _UrlPath = Field(
        default="/jobs",
        description="Where: on the app, or on the metrics port in a worker.",
    )
    control_from_loopback: bool = Field(
        default=False,
        description=(
            "Without metrics credentials, still accept cancel from loopback clients (it is "
            "refused with 403 otherwise; reading stays open, as /metrics is)."
        ),
    )


class LoggingConfig(Section):
    """Log output."""

    json_lines: bool = Field(
        default=True,
        alias="json",
        description="Write JSON lines to stderr, with trace, span and request IDs.",
    )
    level: _Level = Field(default="INFO", description="Root log level.")
    otlp: bool = Field(
        default=True,
        description="Send log records (errors included) through OTLP when the SDK is on.",
    )

    @property
    def json(self) -> bool:  # type: ignore[override]
        """Whether JSON lines are written (the ``logging.json`` key)."""
        return self.json_lines


class ExportConfig(Section):
    """Export through OTLP (where and how is set by the OTEL_* variables)."""

    shutdown_timeout: _Seconds = Field(
        default=5.0,
        description=(
            "Seconds that shut-down may spend flushing traces, logs and metrics together, "
            "whatever the collector does; what is not sent by then is dropped."
        ),
    )


class LookupConfig(Section):
    """Where finished runs, traces and logs are looked up: ``python -m signalpost lookup``,
    ``runs`` and ``errors``, and ``GET /jobs/{id}`` for a run that has finished."""

    dsn: str | None = Field(
        default=None,
        description=(
            "The trace and log store the local stack's OTLP receiver fills (PostgreSQL, libpq "
            "string or URL); set, the jobs endpoint answers for finished runs from it."
        ),
    )
    tempo_url: str | None = Field(
        default=None, description="Tempo's HTTP API for the lookup commands (compose stack)."
    )
    loki_url: str | None = Field(
        default=None, description="Loki's HTTP API for the lookup commands (compose stack)."
    )


class SignalpostConfig(Section):
    """All Signalpost settings, one section per component."""

    http: HttpConfig = Field(default_factory=HttpConfig)
    tracing: TracingConfig = Field(default_factory=TracingConfig)
    errors: ErrorsConfig = Field(default_factory=ErrorsConfig)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    export: ExportConfig = Field(default_factory=ExportConfig)
    jobs: JobsConfig = Field(default_factory=JobsConfig)
    lookup: LookupConfig = Field(default_factory=LookupConfig)


def sections() -> dict[str, type[Section]]:
    """{section name: its model}, in the order of :class:`SignalpostConfig`."""
    return {
        name: typing.cast(type[Section], info.annotation)
        for name, info in SignalpostConfig.model_fields.items()
    }


def keys(section: type[Section]) -> dict[str, str]:
    """{key as written: field name}."""
    return {(info.alias or name): name for name, info in section.model_fields.items()}


def describe(tp: Any, *, accepted: bool = False) -> str:
    """The type's name (``boolean``), or with ``accepted`` what a value must be (``true or
    false``) as error messages say it."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Annotated:
        return describe(args[0], accepted=accepted)
    if origin in (types.UnionType, typing.Union):
        inner = [a for a in args if a is not type(None)]
        return describe(inner[0], accepted=accepted) + " or null"
    if origin is list:
        return f"a list of {describe(args[0])}s"
    if accepted and tp is bool:
        return "true or false"
    return {bool: "boolean", int: "integer", float: "number", str: "string"}[tp]
