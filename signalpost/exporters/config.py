"""Signalpost's own settings: what OpenTelemetry has no environment variable for.

Sources, strongest first: values passed to :func:`load_config`, ``SIGNALPOST_<SECTION>_<KEY>``
environment variables, a YAML file (``SIGNALPOST_CONFIG_FILE`` or the ``path`` argument), then
the defaults below. Everything is validated once at start-up by the pydantic models below: an
unknown key, a duplicate key, a wrong type or a bad value raises :class:`SettingsError` naming
the source (file and line, or the variable), the key and what was expected. The ``OTEL_*``
variables are checked by :mod:`signalpost.exporters.otel_env`.

The models below are the single reference: ``docs/configuration.md`` is generated from them
(``python -m signalpost config-reference``).
"""

from __future__ import annotations

import os
import re
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from signalpost._yamlsource import Located, YamlProblem, dotted, problems, read, shown
from signalpost.instrumentation.asgi import DEFAULT_EXCLUDED_PATHS
from signalpost.instrumentation.requestid import DEFAULT_HEADER
from signalpost.instrumentation.semconv.http import DEFAULT_DURATION_BUCKETS

__all__ = [
    "CONFIG_FILE_VARIABLE",
    "ENV_PREFIX",
    "ErrorsConfig",
    "ExportConfig",
    "HttpConfig",
    "JobsConfig",
    "LoggingConfig",
    "MetricsConfig",
    "SettingsError",
    "SignalpostConfig",
    "TracingConfig",
    "load_config",
]

ENV_PREFIX = "SIGNALPOST_"
CONFIG_FILE_VARIABLE = "SIGNALPOST_CONFIG_FILE"
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_HIDDEN = ("token", "password")
# What pydantic's type errors become; replaced by the field's full type ("integer or null").
_TYPE_WORDS = ("an integer", "a number", "true or false", "a string", "a list")


class SettingsError(SystemExit, ValueError):
    """A setting (ours or an ``OTEL_*`` variable) is unknown, of the wrong type or out of range.

    ``str(error)`` is one line: ``source: key: expected ..., got ...``. It derives from
    :class:`SystemExit` so that, raised while a server imports the app (uvicorn, gunicorn),
    it ends the process with status 1 and that one line on stderr instead of a traceback; it
    is also a :class:`ValueError`, so code that calls ``setup()`` itself can catch it either
    way.

    Attributes:
        source: Where the value came from: ``path:line`` of a YAML file, ``environment
            variable NAME``, or ``argument``.
        key: The dotted key (``metrics.port``) or the variable's name.
        expected: What would have been accepted.
    """

    def __init__(self, source: str, key: str, expected: str, got: str | None = None) -> None:
        self.source = source
        self.key = key
        self.expected = expected
        detail = f", got {got}" if got is not None else ""
        # An OTEL_* variable is its own key: "environment variable OTEL_X: expected ...".
        where = source if source.endswith(f" {key}") else f"{source}: {key}"
        message = f"{where}: expected {expected}{detail}"
        super().__init__(message)
        # What the interpreter prints when nobody catches it.
        self.code = f"signalpost: configuration error: {message}"

    def __str__(self) -> str:
        return str(self.args[0])


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


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class HttpConfig(_Section):
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


class TracingConfig(_Section):
    """Tracing settings (sampling and export are OTEL_* variables)."""

    enabled: bool = Field(
        default=True,
        description="Create server spans; false keeps metrics, request IDs and errors only.",
    )
    recommended_attributes: bool = Field(
        default=True,
        description="Put the HTTP conventions' recommended attributes on server spans "
        "(network.protocol.version, server.address, server.port, client.address, "
        "user_agent.original); false keeps the required ones only, a cheaper span to record, "
        "scrub and export.",
    )


class ErrorsConfig(_Section):
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


class MetricsConfig(_Section):
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


class JobsConfig(_Section):
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


class LoggingConfig(_Section):
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


class ExportConfig(_Section):
    """Export through OTLP (where and how is set by the OTEL_* variables)."""

    shutdown_timeout: _Seconds = Field(
        default=5.0,
        description=(
            "Seconds that shut-down may spend flushing traces, logs and metrics together, "
            "whatever the collector does; what is not sent by then is dropped."
        ),
    )


class LookupConfig(_Section):
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


class SignalpostConfig(_Section):
    """All Signalpost settings, one section per component."""

    http: HttpConfig = Field(default_factory=HttpConfig)
    tracing: TracingConfig = Field(default_factory=TracingConfig)
    errors: ErrorsConfig = Field(default_factory=ErrorsConfig)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    export: ExportConfig = Field(default_factory=ExportConfig)
    jobs: JobsConfig = Field(default_factory=JobsConfig)
    lookup: LookupConfig = Field(default_factory=LookupConfig)


def _sections() -> dict[str, type[_Section]]:
    return {
        name: typing.cast(type[_Section], info.annotation)
        for name, info in SignalpostConfig.model_fields.items()
    }


def _keys(section: type[_Section]) -> dict[str, str]:
    """{key as written: field name}."""
    return {(info.alias or name): name for name, info in section.model_fields.items()}


def _describe(tp: Any, *, accepted: bool = False) -> str:
    """The type's name (``boolean``), or with ``accepted`` what a value must be (``true or
    false``) as error messages say it."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Annotated:
        return _describe(args[0], accepted=accepted)
    if origin in (types.UnionType, typing.Union):
        inner = [a for a in args if a is not type(None)]
        return _describe(inner[0], accepted=accepted) + " or null"
    if origin is list:
        return f"a list of {_describe(args[0])}s"
    if accepted and tp is bool:
        return "true or false"
    return {bool: "boolean", int: "integer", float: "number", str: "string"}[tp]


def _from_env(section: type[_Section], key: str, raw: str) -> Any:
    """Turn a variable's text into the field's type (lists are comma-separated)."""
    info = section.model_fields[_keys(section)[key]]
    tp = info.annotation
    nullable = typing.get_origin(tp) in (types.UnionType, typing.Union)
    if nullable and raw.strip() == "":
        return None
    base = next(a for a in typing.get_args(tp) if a is not type(None)) if nullable else tp
    value: Any = raw
    plain = typing.get_args(base)[0] if typing.get_origin(base) is Annotated else base
    if typing.get_origin(plain) is list:
        value = [v.strip() for v in raw.split(",") if v.strip()]
    adapter: TypeAdapter[Any] = TypeAdapter(typing.cast(Any, base))
    if plain is bool:
        # true/false, case-insensitive (OpenTelemetry's rule), not pydantic's yes/on/1/t.
        word = raw.lower()
        return adapter.validate_python(
            word == "true" if word in ("true", "false") else raw, strict=True
        )
    # Lax mode turns text into numbers; the strict model then checks the rest.
    return adapter.validate_python(value, strict=False)


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
        SettingsError: naming the file and line or the variable, the key and what was expected.

    Environment variables: ``SIGNALPOST_CONFIG_FILE`` and ``SIGNALPOST_<SECTION>_<KEY>`` for
    every key (``SIGNALPOST_METRICS_PORT=9464``; lists are comma-separated).
    """
    env = os.environ if environ is None else environ
    sections = _sections()
    # {(section, key): (value, source)}; later sources replace earlier ones.
    values: dict[tuple[str, str], tuple[Any, str]] = {}
    located: Located | None = None
    file_name = path if path is not None else env.get(CONFIG_FILE_VARIABLE) or None
    if file_name is not None:
        located = _read_file(Path(file_name))
        for (section, key), value in _file_entries(located, str(file_name), sections):
            values[(section, key)] = (value, f"{file_name}:{located.line_of((section, key))}")

    for variable, raw in env.items():
        if not variable.startswith(ENV_PREFIX) or variable == CONFIG_FILE_VARIABLE:
            continue
        source = f"environment variable {variable}"
        rest = variable[len(ENV_PREFIX) :].lower()
        section = next((s for s in sections if rest.startswith(s + "_")), "")
        key = rest[len(section) + 1 :]
        if not section or key not in _keys(sections[section]):
            expected = f"SIGNALPOST_<SECTION>_<KEY> with a section of: {', '.join(sections)}"
            if section:
                expected = "a key of " + section + ": " + ", ".join(_keys(sections[section]))
            raise SettingsError(source, rest.replace("_", ".", 1), expected)
        try:
            values[(section, key)] = (_from_env(sections[section], key, raw), source)
        except ValidationError as error:
            _, expected, _ = next(problems(error))
            if expected in _TYPE_WORDS:
                info = sections[section].model_fields[_keys(sections[section])[key]]
                expected = _describe(info.annotation, accepted=True)
            raise SettingsError(
                source,
                f"{section}.{key}",
                expected,
                "<hidden>" if key.endswith(_HIDDEN) else shown(raw),
            ) from None

    for section, entries in (overrides or {}).items():
        if section not in sections:
            raise SettingsError("argument", section, "a section: " + ", ".join(sections))
        for key, value in entries.items():
            values[(section, key)] = (value, "argument")

    built: dict[str, Any] = {}
    for section, model in sections.items():
        given = {k: v for (s, k), (v, _) in values.items() if s == section}
        try:
            built[section] = model.model_validate(given)
        except ValidationError as error:
            path_, expected, got = next(problems(error))
            key = str(path_[0]) if path_ else ""
            if expected == "a known key":
                expected, got = "one of: " + ", ".join(_keys(model)), None
            elif expected in _TYPE_WORDS:
                known = model.model_fields.get(_keys(model).get(key, key))
                if known is not None:
                    expected = _describe(known.annotation, accepted=True)
            source = values[(section, key)][1] if (section, key) in values else "argument"
            if located is not None and source.startswith(f"{file_name}:"):
                source = f"{file_name}:{located.line_of((section, *path_))}"
            hidden = key.endswith(_HIDDEN)
            raise SettingsError(
                source,
                dotted((section, *path_)),
                expected,
                None if got is None else "<hidden>" if hidden else shown(got),
            ) from None
    return SignalpostConfig(**built)


def _read_file(path: Path) -> Located:
    try:
        return read(path)
    except OSError as exc:
        raise SettingsError(
            str(path), "(file)", "a readable YAML file", str(exc.strerror)
        ) from None
    except YamlProblem as problem:
        where = f"{path}:{problem.line}" if problem.line is not None else str(path)
        key = dotted(problem.key) if problem.key else "(file)"
        if key == "(file)" and problem.expected == "valid YAML":
            key = "(syntax)"
        raise SettingsError(where, key, problem.expected, problem.got) from None


def _file_entries(
    located: Located, file_name: str, sections: dict[str, type[_Section]]
) -> typing.Iterator[tuple[tuple[str, str], Any]]:
    root = located.data
    if root is None:
        return
    if not isinstance(root, dict):
        raise SettingsError(f"{file_name}:{located.line_of(())}", "(top level)", "a mapping")
    for section, body in root.items():
        where = f"{file_name}:{located.line_of((section,))}"
        if section not in sections:
            raise SettingsError(where, section, "a section: " + ", ".join(sections))
        if body is None:
            continue
        if not isinstance(body, dict):
            raise SettingsError(where, section, "a mapping of settings", shown(body))
        for key, value in body.items():
            yield (section, key), value


def markdown_reference() -> str:
    """Return the configuration reference as Markdown (``docs/configuration.md``)."""
    lines = [
        "# Configuration reference",
        "",
        "<!-- Generated by `python -m signalpost config-reference`; do not edit. -->",
        "",
        "Precedence, strongest first: arguments to `signalpost.exporters.setup()`, `SIGNALPOST_*`",
        f"environment variables, the YAML file named by `{CONFIG_FILE_VARIABLE}` (or passed to",
        "`setup(config_file=...)`), then the defaults below. The YAML file is UTF-8; duplicate",
        "keys and duplicated sections are errors, and YAML aliases may expand to at most",
        "10,000 values.",
        "",
        "Standard OpenTelemetry variables (`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`,",
        "`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_PROTOCOL` (`http/protobuf` or",
        "`grpc`), `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`,",
        "`OTEL_SDK_DISABLED`, `OTEL_BSP_*`, `OTEL_BLRP_*`, `OTEL_PROPAGATORS`, ...) are read by",
        "the OpenTelemetry SDK as its documentation defines them; Signalpost checks the ones its",
        "set-up uses before the SDK does. `OTEL_TRACES_EXPORTER`, `OTEL_LOGS_EXPORTER` and",
        "`OTEL_METRICS_EXPORTER` take a list (`otlp,console`): every exporter listed gets the",
        "data.",
        "",
        "Every problem, in a setting or an `OTEL_*` variable, stops start-up with one line",
        "naming the source (file and line, or the variable), the key and what was expected;",
        "values echoed are truncated, secrets are not echoed:",
        "",
        "```",
        "signalpost: configuration error: app.yaml:3: metrics.port: expected each key once"
        " (first given at line 2)",
        "signalpost: configuration error: environment variable OTEL_EXPORTER_OTLP_PROTOCOL:"
        " expected one of http/protobuf, grpc (http/json is not supported), got 'http/json'",
        "```",
        "",
        "The error is `signalpost.exporters.config.SettingsError`, a `SystemExit` (so that under",
        "uvicorn or gunicorn the process exits with status 1 and that line, no traceback) and a",
        "`ValueError` (so that code calling `setup()` itself can catch it). With gunicorn, use",
        "`-c python:signalpost.exporters.gunicorn_config`: it checks the settings once in the",
        "master, before any worker starts. `python -m signalpost check-config [FILE]` runs the",
        "same checks and prints the same line.",
        "",
        "Shut-down flushes all signals within `export.shutdown_timeout` seconds in total, whatever",
        "the collector does; an unreachable collector is logged once, and again only after it",
        "recovered. To turn export off in tests, set `OTEL_SDK_DISABLED=true` (no SDK providers",
        "at all), or `OTEL_TRACES_EXPORTER=none` and `OTEL_LOGS_EXPORTER=none`, or pass",
        "providers of your own (`setup(app, tracer_provider=...)`, e.g. with an in-memory",
        "exporter).",
        "",
    ]
    for name, section in _sections().items():
        lines += [f"## `{name}`", "", section.__doc__ or "", ""]
        lines += ["| key | variable | type | default | meaning |", "|---|---|---|---|---|"]
        for key, field_name in _keys(section).items():
            info = section.model_fields[field_name]
            default = info.get_default(call_default_factory=True)
            variable = f"{ENV_PREFIX}{name.upper()}_{key.upper()}"
            text = yaml.safe_dump(default, default_flow_style=True)
            text = text.strip().removesuffix("...").strip()
            lines.append(
                f"| `{name}.{key}` | `{variable}` | {_describe(info.annotation)} "
                f"| `{text}` | {info.description} |"
            )
        lines.append("")
    return "\n".join(lines)

