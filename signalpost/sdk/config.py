"""Signalpost's own settings: what OpenTelemetry has no environment variable for.

Sources, strongest first: values passed to :func:`load_config`, ``SIGNALPOST_<SECTION>_<KEY>``
environment variables, a YAML file (``SIGNALPOST_CONFIG_FILE`` or the ``path`` argument), then
the defaults. Everything is validated once at start-up by the pydantic models of
:mod:`signalpost.sdk.config_sections`: an unknown key, a duplicate key, a wrong type or a
bad value raises :class:`SettingsError` naming the source (file and line, or the variable), the
key and what was expected. The ``OTEL_*``
variables are checked by :mod:`signalpost.sdk.otel_env`.

Those models are the single reference: ``docs/configuration.md`` is generated from them
(``python -m signalpost config-reference``, :mod:`signalpost.sdk.config_reference`).
"""

from __future__ import annotations

import os
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import TypeAdapter, ValidationError

from signalpost._yamlsource import Located, YamlProblem, dotted, problems, read, shown
from signalpost.sdk.config_reference import markdown_reference as markdown_reference
from signalpost.sdk.config_sections import (
    CONFIG_FILE_VARIABLE,
    ENV_PREFIX,
    ErrorsConfig,
    ExportConfig,
    HttpConfig,
    JobsConfig,
    LoggingConfig,
    MetricsConfig,
    Section,
    SignalpostConfig,
    TracingConfig,
    describe,
    keys,
    sections,
)
from signalpost.sdk.config_sections import LookupConfig as LookupConfig

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


def _from_env(section: type[Section], key: str, raw: str) -> Any:
    """Turn a variable's text into the field's type (lists are comma-separated)."""
    info = section.model_fields[keys(section)[key]]
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


Entries = dict[tuple[str, str], tuple[Any, str]]
"""``{(section, key): (value, where it was set)}``."""


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
    models = sections()
    # {(section, key): (value, source)}; later sources replace earlier ones.
    values: Entries = {}
    located: Located | None = None
    file_name = path if path is not None else env.get(CONFIG_FILE_VARIABLE) or None
    if file_name is not None:
        located = _read_file(Path(file_name))
        for (section, key), value in _file_entries(located, str(file_name), models):
            values[(section, key)] = (value, f"{file_name}:{located.line_of((section, key))}")

    values.update(_env_entries(env, models))
    for section, entries in (overrides or {}).items():
        if section not in models:
            raise SettingsError("argument", section, "a section: " + ", ".join(models))
        for key, value in entries.items():
            values[(section, key)] = (value, "argument")
    where = None if located is None else (str(file_name), located)
    built = {
        section: _validated(section, model, values, where) for section, model in models.items()
    }
    return SignalpostConfig(**built)


def _env_entries(env: Mapping[str, str], models: Mapping[str, type[Section]]) -> Entries:
    """The ``SIGNALPOST_<SECTION>_<KEY>`` variables of ``env``, parsed."""
    values: Entries = {}
    for variable, raw in env.items():
        if not variable.startswith(ENV_PREFIX) or variable == CONFIG_FILE_VARIABLE:
            continue
        source = f"environment variable {variable}"
        rest = variable[len(ENV_PREFIX) :].lower()
        section = next((s for s in models if rest.startswith(s + "_")), "")
        key = rest[len(section) + 1 :]
        if not section or key not in keys(models[section]):
            expected = f"SIGNALPOST_<SECTION>_<KEY> with a section of: {', '.join(models)}"
            if section:
                expected = "a key of " + section + ": " + ", ".join(keys(models[section]))
            raise SettingsError(source, rest.replace("_", ".", 1), expected)
        try:
            values[(section, key)] = (_from_env(models[section], key, raw), source)
        except ValidationError as error:
            _, expected, _ = next(problems(error))
            if expected in _TYPE_WORDS:
                info = models[section].model_fields[keys(models[section])[key]]
                expected = describe(info.annotation, accepted=True)
            raise SettingsError(
                source,
                f"{section}.{key}",
                expected,
                "<hidden>" if key.endswith(_HIDDEN) else shown(raw),
            ) from None
    return values


def _validated(
    section: str,
    model: type[Section],
    values: Entries,
    file: tuple[str, Located] | None,
) -> Any:
    """One section validated from its entries; an error names where the bad value was set
    (``file``: the configuration file's name and its located YAML)."""
    given = {k: v for (s, k), (v, _) in values.items() if s == section}
    try:
        return model.model_validate(given)
    except ValidationError as error:
        path_, expected, got = next(problems(error))
        key = str(path_[0]) if path_ else ""
        if expected == "a known key":
            expected, got = "one of: " + ", ".join(keys(model)), None
        elif expected in _TYPE_WORDS:
            known = model.model_fields.get(keys(model).get(key, key))
            if known is not None:
                expected = describe(known.annotation, accepted=True)
        source = values[(section, key)][1] if (section, key) in values else "argument"
        if file is not None and source.startswith(f"{file[0]}:"):
            source = f"{file[0]}:{file[1].line_of((section, *path_))}"
        hidden = key.endswith(_HIDDEN)
        raise SettingsError(
            source,
            dotted((section, *path_)),
            expected,
            None if got is None else "<hidden>" if hidden else shown(got),
        ) from None


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
    located: Located, file_name: str, sections: dict[str, type[Section]]
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
