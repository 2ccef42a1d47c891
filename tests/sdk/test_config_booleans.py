"""Booleans are ``true``/``false`` (case-insensitive) everywhere, and an alias bomb is named at
the key that expands: say one thing, accept that thing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from signalpost.sdk.config import SettingsError, load_config

ROOT = Path(__file__).resolve().parents[2]
# What pydantic's lax mode and YAML 1.1 took for booleans.
REFUSED = ["yes", "no", "on", "off", "y", "n", "t", "f", "1", "0", "Yes", "ON", " true", "truee"]
ACCEPTED = {"true": True, "false": False, "TRUE": True, "False": False, "tRuE": True}


@pytest.mark.parametrize("raw", REFUSED)
def test_a_variable_refuses_what_is_not_true_or_false(raw: str) -> None:
    with pytest.raises(SettingsError) as error:
        load_config(environ={"SIGNALPOST_METRICS_GZIP": raw})
    assert str(error.value) == (
        "environment variable SIGNALPOST_METRICS_GZIP: metrics.gzip: expected true or false,"
        f" got {raw!r}"
    )


@pytest.mark.parametrize(("raw", "value"), ACCEPTED.items())
def test_a_variable_accepts_true_and_false_in_any_case(raw: str, value: bool) -> None:
    assert load_config(environ={"SIGNALPOST_METRICS_GZIP": raw}).metrics.gzip is value


@pytest.mark.parametrize("raw", [r for r in REFUSED if r.strip() == r])
def test_the_file_refuses_what_is_not_true_or_false(tmp_path: Path, raw: str) -> None:
    path = tmp_path / "signalpost.yaml"
    path.write_text(f"tracing:\n  enabled: {raw}\n")
    with pytest.raises(SettingsError) as error:
        load_config(path, environ={})
    got = int(raw) if raw.isdigit() else raw
    assert str(error.value) == f"{path}:2: tracing.enabled: expected true or false, got {got!r}"


@pytest.mark.parametrize(("raw", "value"), ACCEPTED.items())
def test_the_file_accepts_true_and_false_in_any_case(
    tmp_path: Path, raw: str, value: bool
) -> None:
    path = tmp_path / "signalpost.yaml"
    path.write_text(f"tracing:\n  enabled: {raw}\n")
    assert load_config(path, environ={}).tracing.enabled is value


def test_yaml_1_1_booleans_are_text_where_text_is_expected(tmp_path: Path) -> None:
    path = tmp_path / "signalpost.yaml"
    path.write_text("http:\n  request_id_header: on\n  excluded_paths: [/off]\n")
    assert load_config(path, environ={}).http.request_id_header == "on"


def _check_config(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "SIGNALPOST_"))}
    return subprocess.run(
        [sys.executable, "-m", "signalpost", "check-config", *args],
        cwd=ROOT, env=clean | env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_check_config_says_the_same(tmp_path: Path) -> None:
    refused = _check_config({"SIGNALPOST_LOGGING_OTLP": "yes"})
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        "signalpost: configuration error: environment variable SIGNALPOST_LOGGING_OTLP:"
        " logging.otlp: expected true or false, got 'yes'"
    )
    path = tmp_path / "signalpost.yaml"
    path.write_text("logging:\n  otlp: off\n")
    refused = _check_config({}, str(path))
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        f"signalpost: configuration error: {path}:2: logging.otlp: expected true or false,"
        " got 'off'"
    )
    path.write_text("logging:\n  otlp: FALSE\n")
    accepted = _check_config({"SIGNALPOST_METRICS_GZIP": "False"}, str(path))
    assert accepted.returncode == 0, accepted.stderr


def _bomb(indent: str, first: str) -> list[str]:
    """Lines of a 9**5-value alias bomb, each level a key at ``indent``."""
    lines = [f"{indent}{first}: &a [x, x, x, x, x, x, x, x, x]"]
    for previous, name in zip("abcd", "bcde", strict=True):
        lines.append(f"{indent}{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    return lines


def test_an_alias_bomb_below_the_top_level_is_named_at_its_key_and_line(tmp_path: Path) -> None:
    path = tmp_path / "signalpost.yaml"
    levels = ", ".join(
        ["&a [x, x, x, x, x, x, x, x, x]"]
        + [f"&{n} [" + ", ".join([f"*{p}"] * 9) + "]" for p, n in zip("abcd", "bcde", strict=True)]
    )
    path.write_text(f"http:\n  max_routes: [{levels}]\n")
    with pytest.raises(SettingsError) as error:
        load_config(path, environ={})
    assert str(error.value) == (
        f"{path}:2: http.max_routes: expected a document of at most 10000 values"
        " (YAML aliases expand to more)"
    )


def test_an_alias_bomb_is_named_where_it_expands_not_where_it_was_defined(
    tmp_path: Path,
) -> None:
    path = tmp_path / "signalpost.yaml"
    lines = ["metrics:", *_bomb("  ", "a")[:4], "http:", "  max_routes: [*d, *d, *d, *d]"]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(SettingsError) as error:
        load_config(path, environ={})
    assert str(error.value).startswith(f"{path}:7: http.max_routes: expected a document of at")
