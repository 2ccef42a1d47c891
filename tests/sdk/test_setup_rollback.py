"""A set-up that fails halfway undoes what it installed: no root log handler, no global
provider, no runtime, no created-series switch left behind (in a fresh interpreter, as
OpenTelemetry's global providers can be set once per process)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, logging, sys
from opentelemetry import trace, metrics
from prometheus_client import metrics as prometheus_metrics
import signalpost
from signalpost import runtime

def state():
    root = logging.getLogger()
    return {
        "root_handlers": len(root.handlers),
        "root_level": root.level,
        "uvicorn_propagate": logging.getLogger("uvicorn.error").propagate,
        "uvicorn_handlers": len(logging.getLogger("uvicorn.error").handlers),
        "tracer_provider": type(trace.get_tracer_provider()).__name__,
        "meter_provider": type(metrics.get_meter_provider()).__name__,
        "created_series": bool(prometheus_metrics._use_created),
    }

uvicorn = logging.getLogger("uvicorn.error")
uvicorn.addHandler(logging.StreamHandler())
uvicorn.propagate = False
before = state()
registry = runtime.current().registry
try:
    signalpost.setup(overrides={
        "metrics": {"port": int(sys.argv[1]), "address": "127.0.0.1",
                    "created_series": False, "otlp": True},
        "logging": {"level": "DEBUG"},
    })
except OSError as error:
    outcome = type(error).__name__
else:
    outcome = "no error"
after = state()
print(json.dumps({"outcome": outcome, "before": before, "after": after,
                  "same_runtime": runtime.current().registry is registry}))
"""


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_a_failed_setup_leaves_nothing_installed(taken_port: int) -> None:
    env = {"OTEL_TRACES_EXPORTER": "console", "OTEL_METRICS_EXPORTER": "console"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(taken_port)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        env={**_base_env(), **env},
        timeout=120,
    )
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["outcome"] == "MetricsServerError"
    assert found["after"] == found["before"]
    assert found["before"]["tracer_provider"] == "ProxyTracerProvider"
    assert found["same_runtime"] is True


def _base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "SIGNALPOST_"))}
