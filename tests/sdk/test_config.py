from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signalpost.sdk.config import SettingsError, load_config, markdown_reference

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "signalpost.yaml"
    path.write_text(text)
    return path


def test_defaults_without_any_source() -> None:
    config = load_config(environ={})
    assert config.http.request_id_header == "X-Request-ID"
    assert config.metrics.path == "/metrics" and config.metrics.port is None
    assert "/health/*" in config.http.excluded_paths


def test_precedence_argument_over_env_over_file(tmp_path: Path) -> None:
    path = write(tmp_path, "metrics:\n  port: 9000\n  path: /prom\nhttp:\n  max_routes: 10\n")
    env = {"SIGNALPOST_METRICS_PORT": "9100", "SIGNALPOST_HTTP_MAX_ROUTES": "20"}
    config = load_config(path, environ=env, overrides={"http": {"max_routes": 30}})
    assert config.metrics.port == 9100  # env beats file
    assert config.metrics.path == "/prom"  # file beats default
    assert config.http.max_routes == 30  # argument beats env


def test_config_file_from_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "tracing:\n  enabled: false\n")
    config = load_config(environ={"SIGNALPOST_CONFIG_FILE": str(path)})
    assert config.tracing.enabled is False


def test_env_lists_and_booleans() -> None:
    config = load_config(
        environ={
            "SIGNALPOST_HTTP_EXCLUDED_PATHS": "/metrics, /internal/*",
            "SIGNALPOST_HTTP_DURATION_BUCKETS": "0.1,0.5,1",
            "SIGNALPOST_LOGGING_JSON": "false",
            "SIGNALPOST_ERRORS_SCRUB_KEYS": "ssn,candidate_email",
        }
    )
    assert config.http.excluded_paths == ["/metrics", "/internal/*"]
    assert config.http.duration_buckets == [0.1, 0.5, 1.0]
    assert config.logging.json is False
    assert config.errors.scrub_keys == ["ssn", "candidate_email"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("metrics:\n  prot: 1\n", ":2: metrics.prot: expected one of: enabled, path, port"),
        ("metric:\n  port: 1\n", ":1: metric: expected a section: http, tracing"),
        ("metrics:\n  port: 70000\n", ":2: metrics.port: expected a port number"),
        ("metrics:\n  port: '80'\n", ":2: metrics.port: expected integer or null, got '80'"),
        (
            "http:\n\n  trust_request_id: yes please\n",
            ":3: http.trust_request_id: expected true or false",
        ),
        (
            "http:\n  duration_buckets: [1, 0.5]\n",
            ":2: http.duration_buckets: expected a non-empty",
        ),
        (
            "http:\n  request_id_header: 'bad header'\n",
            ":2: http.request_id_header: expected an HTTP",
        ),
        ("http:\n  excluded_paths: [metrics]\n", ":2: http.excluded_paths: expected URL paths"),
        ("logging:\n  level: LOUD\n", ":2: logging.level: expected one of DEBUG"),
        ("http: [1, 2]\n", ":1: http: expected a mapping of settings"),
        ("- a\n- b\n", ":1: (top level): expected a mapping"),
        ("http:\n  max_routes: [1\n", ": (syntax): expected valid YAML"),
        ("metrics:\n  port: 9000\n  port: 9001\n", ":3: metrics.port: expected each key once (first given at line 2)"),
        ("metrics:\n  port: 9000\nhttp:\n  max_routes: 3\nmetrics:\n  path: /m\n", ":5: metrics: expected each key once (first given at line 1)"),
        ("http:\n  max_routes: 0\n", ":2: http.max_routes: expected a number greater than 0, got 0"),
        ("http:\n  duration_buckets: [0.1, x]\n", ":2: http.duration_buckets[1]: expected a list of numbers, got 'x'"),
        ("export:\n  shutdown_timeout: -1\n", ":2: export.shutdown_timeout: expected a number of seconds from 0 to 600, got -1"),
        ("export:\n  shutdown_timeout: 2.5\n  grace: 1\n", ":3: export.grace: expected one of: shutdown_timeout"),
    ],
)
def test_file_errors_name_file_line_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SettingsError) as error:
        load_config(path, environ={})
    assert str(error.value).startswith(str(path))
    assert message in str(error.value)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"nope.yaml: \(file\): expected a readable YAML file"):
        load_config(tmp_path / "nope.yaml", environ={})


def test_env_errors_name_the_variable() -> None:
    with pytest.raises(SettingsError) as error:
        load_config(environ={"SIGNALPOST_METRICS_PORT": "ninety"})
    assert str(error.value) == (
        "environment variable SIGNALPOST_METRICS_PORT: metrics.port: expected integer or null,"
        " got 'ninety'"
    )
    with pytest.raises(SettingsError, match="SIGNALPOST_NOPE_X"):
        load_config(environ={"SIGNALPOST_NOPE_X": "1"})


def test_secrets_are_not_echoed_in_errors() -> None:
    with pytest.raises(SettingsError) as error:
        load_config(overrides={"metrics": {"bearer_token": 12345}}, environ={})
    assert "12345" not in str(error.value)


def test_reference_doc_is_generated_and_fresh() -> None:
    committed = (ROOT / "docs" / "configuration.md").read_text()
    assert committed == markdown_reference(), (
        "run: python -m signalpost config-reference > docs/configuration.md"
    )


@given(st.text(max_size=200))
def test_any_yaml_text_loads_or_fails_with_config_error(text: str) -> None:
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
        handle.write(text)
    try:
        load_config(handle.name, environ={})
    except SettingsError:
        pass
    finally:
        Path(handle.name).unlink()


def test_non_utf8_file_is_named_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"metrics:\n  path: /m\xe9\n")
    with pytest.raises(SettingsError) as error:
        load_config(path, environ={})
    assert str(error.value) == f"{path}:2: (file): expected UTF-8 text, got byte 0xe9 at offset 19"


def test_alias_bomb_is_refused_fast_with_a_short_message(tmp_path: Path) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    path = write(tmp_path, "\n".join(lines) + "\n")  # 9**9 values once expanded
    with pytest.raises(SettingsError) as error:
        load_config(path, environ={})
    message = str(error.value)
    assert "expected a document of at most 10000 values" in message
    assert len(message) < 300


def test_values_echoed_are_truncated(tmp_path: Path) -> None:
    path = write(tmp_path, "metrics:\n  path: " + "x" * 5000 + "\n")
    with pytest.raises(SettingsError) as error:
        load_config(path, environ={})
    assert str(error.value).endswith("...") and len(str(error.value)) < len(str(path)) + 150


def test_env_range_error_says_what_was_expected() -> None:
    with pytest.raises(SettingsError) as error:
        load_config(environ={"SIGNALPOST_METRICS_PORT": "0"})
    assert str(error.value) == (
        "environment variable SIGNALPOST_METRICS_PORT: metrics.port: expected a port number"
        " from 1 to 65535, got '0'"
    )


def test_settings_error_is_catchable_and_exits_with_one_line() -> None:
    error = SettingsError("f.yaml:2", "metrics.port", "an integer", "'x'")
    assert isinstance(error, ValueError) and isinstance(error, SystemExit)
    assert error.code == "signalpost: configuration error: f.yaml:2: metrics.port: expected an integer, got 'x'"
