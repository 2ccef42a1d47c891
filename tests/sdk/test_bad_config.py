"""Every bad setting stops start-up with one line and a non-zero status; check-config agrees."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from signalpost.sdk import SetupOptions
from signalpost.sdk.config import SettingsError
from signalpost.sdk.setup import setup
from tests.sdk.test_shutdown import free_port

REPO = Path(__file__).resolve().parents[2]
BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{n}: &{n} [" + ", ".join([f"*{p}"] * 9) + "]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)
PREFIX = "signalpost: configuration error: "

# (case, OTEL_*/SIGNALPOST_* variables, config file content or None, expected line after PREFIX;
# "{file}" stands for the config file's path)
CASES: list[tuple[str, dict[str, str], str | bytes | None, str]] = [
    ("duplicate key", {}, "metrics:\n  port: 9000\n  port: 9001\n",
     "{file}:3: metrics.port: expected each key once (first given at line 2)"),
    ("duplicated section", {}, "metrics:\n  port: 9000\nhttp:\n  max_routes: 3\nmetrics:\n  path: /m\n",
     "{file}:5: metrics: expected each key once (first given at line 1)"),
    ("endpoint not a url", {"OTEL_EXPORTER_OTLP_ENDPOINT": "not a url"}, None,
     "environment variable OTEL_EXPORTER_OTLP_ENDPOINT: expected an absolute http:// or https:// URL such as http://collector:4318, got 'not a url'"),
    ("non-UTF-8 file", {}, b"metrics:\n  path: /m\xe9\n",
     "{file}:2: (file): expected UTF-8 text, got byte 0xe9 at offset 19"),
    ("negative queue size", {"OTEL_BSP_MAX_QUEUE_SIZE": "-1"}, None,
     "environment variable OTEL_BSP_MAX_QUEUE_SIZE: expected a whole number greater than 0, got '-1'"),
    ("http/json", {"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, None,
     "environment variable OTEL_EXPORTER_OTLP_PROTOCOL: expected one of http/protobuf, grpc (http/json is not supported), got 'http/json'"),
    ("unknown exporter in a list", {"OTEL_TRACES_EXPORTER": "otlp,zipkin"}, None,
     "environment variable OTEL_TRACES_EXPORTER: expected a comma-separated list of otlp, console (or none alone), got 'otlp,zipkin'"),
    ("alias bomb", {}, BOMB,
     "{file}:5: e: expected a document of at most 10000 values (YAML aliases expand to more)"),
    ("unknown key", {}, "metrics:\n  prot: 1\n",
     "{file}:2: metrics.prot: expected one of: enabled, path, port, address, gzip, bearer_token, basic_auth_username, basic_auth_password, otlp, created_series"),
    ("unknown section", {}, "metric:\n  port: 1\n",
     "{file}:1: metric: expected a section: http, tracing, errors, metrics, logging, export, jobs, lookup"),
    ("wrong type", {}, "http:\n  max_routes: many\n",
     "{file}:2: http.max_routes: expected integer, got 'many'"),
    ("wrong type in a variable", {"SIGNALPOST_METRICS_PORT": "ninety"}, None,
     "environment variable SIGNALPOST_METRICS_PORT: metrics.port: expected integer or null, got 'ninety'"),
    ("bad range", {}, "metrics:\n  port: 70000\n",
     "{file}:2: metrics.port: expected a port number from 1 to 65535, got 70000"),
    ("long value truncated", {}, "metrics:\n  path: " + "x" * 5000 + "\n",
     "{file}:2: metrics.path: expected a URL path starting with '/', got '" + "x" * 56 + "..."),
]


def run(command: list[str], env: dict[str, str]) -> tuple[int, str]:
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    return done.returncode, done.stderr


@pytest.mark.slow
def test_each_bad_setting_is_one_line_under_uvicorn_and_check_config(tmp_path: Path) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "SIGNALPOST_"))}
    jobs = []
    for index, (case, variables, content, expected) in enumerate(CASES):
        env = base | variables
        file = tmp_path / f"case{index}.yaml"
        if content is not None:
            if isinstance(content, bytes):
                file.write_bytes(content)
            else:
                file.write_text(content)
            env["SIGNALPOST_CONFIG_FILE"] = str(file)
        line = PREFIX + expected.replace("{file}", str(file))
        uvicorn = [sys.executable, "-m", "uvicorn", "tests.sdk.apps.plain:app",
                   "--host", "127.0.0.1", "--port", str(free_port())]
        check = [sys.executable, "-m", "signalpost", "check-config"]
        jobs += [(case, "uvicorn", uvicorn, env, line), (case, "check-config", check, env, line)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda job: run(job[2], job[3]), jobs))
    for (case, how, _, _, line), (status, stderr) in zip(jobs, results, strict=True):
        assert status != 0, (case, how, stderr)
        assert stderr.strip() == line, (case, how, stderr)
        assert len(line) < 400, case


def test_a_list_of_exporters_gets_every_exporter() -> None:
    from signalpost.sdk.otel import create_providers

    env = {"OTEL_TRACES_EXPORTER": "otlp,console", "OTEL_LOGS_EXPORTER": "none"}
    providers = create_providers(environ=env)
    provider = providers.tracer_provider
    assert provider is not None
    processors = provider._active_span_processor._span_processors
    kinds = [type(p._batch_processor._exporter).__name__ for p in processors]  # type: ignore[attr-defined]
    assert kinds == ["GuardedSpanExporter", "ConsoleSpanExporter"]
    providers.shutdown(0.5)


def test_setup_raises_a_catchable_error() -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
        with pytest.raises(ValueError) as caught:
            setup(
                FastAPI(),
                options=SetupOptions(registry=CollectorRegistry(), configure_logging=False),
            )
    assert isinstance(caught.value, SettingsError)
    assert caught.value.key == "OTEL_EXPORTER_OTLP_PROTOCOL"


@pytest.mark.slow
def test_gunicorn_with_signalpost_config_stops_once_before_booting_workers(tmp_path: Path) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "SIGNALPOST_"))}
    env = base | {"OTEL_BSP_MAX_QUEUE_SIZE": "-1", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    command = [
        sys.executable, "-m", "gunicorn", "-c", "python:signalpost.sdk.gunicorn_config",
        "-w", "2", "-b", f"127.0.0.1:{free_port()}", "tests.sdk.apps.plain:app",
    ]
    status, stderr = run(command, env)
    assert status != 0, stderr
    assert "Traceback" not in stderr and "Booting worker" not in stderr, stderr
    assert stderr.strip().splitlines()[-1] == (
        PREFIX + "environment variable OTEL_BSP_MAX_QUEUE_SIZE: expected a whole number greater"
        " than 0, got '-1'"
    )


@pytest.mark.slow
def test_broken_schema_spec_is_one_line_under_uvicorn(tmp_path: Path) -> None:
    spec = tmp_path / "schema.yaml"
    spec.write_text("tables:\n  users:\n    columns:\n      id: {type: int, nullable: maybe}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "SIGNALPOST_"))}
    command = [sys.executable, "-m", "uvicorn", "tests.sdk.apps.schema_app:app",
               "--port", str(free_port())]
    status, stderr = run(command, env | {"SCHEMA_SPEC": str(spec)})
    assert status != 0
    assert stderr.strip() == (
        f"signalpost: schema spec error: {spec}:4: tables.users.columns.id.nullable:"
        " expected true or false, got 'maybe'"
    )
