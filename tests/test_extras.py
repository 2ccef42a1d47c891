"""The core installs without FastAPI, psycopg, psutil or grpcio; extras add them, and a missing
extra is named by the ImportError."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
HEAVY = {
    "fastapi", "starlette", "psycopg", "psycopg-binary", "psycopg-pool", "psutil", "grpcio",
    "celery", "kombu", "redis", "arq",
}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _closure(requirements: list[Requirement]) -> set[str]:
    """Every distribution the requirements pull in, following installed metadata."""
    seen: set[str] = set()
    todo = list(requirements)
    while todo:
        requirement = todo.pop()
        name = _normalise(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        for raw in dist.requires or []:
            child = Requirement(raw)
            wanted = requirement.extras or {""}
            if child.marker is None or any(child.marker.evaluate({"extra": e}) for e in wanted):
                todo.append(child)
    return seen


def _core_requirements() -> list[Requirement]:
    out = []
    for raw in metadata.requires("signalpost") or []:
        requirement = Requirement(raw)
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            out.append(requirement)
    return out


def test_core_dependencies_pull_in_no_heavy_package() -> None:
    core = _closure(_core_requirements())
    assert core & HEAVY == set()
    assert "opentelemetry-exporter-otlp-proto-http" in core


def test_each_extra_adds_its_packages() -> None:
    expected = {
        "postgres": {"psycopg", "psycopg-pool"},
        "resources": {"psutil"},
        "grpc": {"grpcio"},
        "celery": {"celery", "kombu", "redis"},
        "arq": {"arq", "redis"},
    }
    for extra, packages in expected.items():
        core_and_extra = _closure([Requirement(f"signalpost[{extra}]")])
        assert packages <= core_and_extra, extra


PROBE = r"""
import importlib.abc, json, sys

BLOCKED = {"fastapi", "starlette", "psycopg", "psycopg_pool", "psutil", "grpc", "celery", "arq"}

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Block())
out = {}
import signalpost
from prometheus_client import CollectorRegistry, generate_latest
from signalpost.health import HealthMonitor, HttpCheck
from signalpost.sdk import SetupOptions

registry = CollectorRegistry()
telemetry = signalpost.setup(options=SetupOptions(registry=registry, configure_logging=False))

@signalpost.monitored_job("probe", registry=registry)
def job(n):
    signalpost.current_run().progress(n, n)
    return n

out["job"] = job(3)
out["metrics"] = b"signalpost_job_runs_finished_total" in generate_latest(registry)
out["monitor"] = type(HealthMonitor()).__name__
for expression in (
    "signalpost.PostgresCheck",
    "signalpost.ResourcesCheck",
    "__import__('signalpost.database')",
    "__import__('signalpost.celery')",
    "__import__('signalpost.arq')",
):
    try:
        eval(expression)
        out[expression] = "imported"
    except ImportError as error:
        out[expression] = str(error)
import os
os.environ.update(OTEL_EXPORTER_OTLP_PROTOCOL="grpc", OTEL_TRACES_EXPORTER="otlp")
from signalpost.sdk.otel import create_providers
try:
    create_providers()
    out["grpc"] = "created"
except ImportError as error:
    out["grpc"] = str(error)
telemetry.shutdown()
print(json.dumps(out))
"""


def test_core_works_without_the_extras_and_names_the_missing_one() -> None:
    env = {"PATH": "/usr/bin:/bin", "OTEL_TRACES_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.splitlines()[-1])
    assert out["job"] == 3 and out["metrics"] is True and out["monitor"] == "HealthMonitor"
    assert "pip install 'signalpost[postgres]'" in out["signalpost.PostgresCheck"]
    assert "pip install 'signalpost[resources]'" in out["signalpost.ResourcesCheck"]
    assert "pip install 'signalpost[postgres]'" in out["__import__('signalpost.database')"]
    assert "pip install 'signalpost[grpc]'" in out["grpc"]
    assert "pip install 'signalpost[celery]'" in out["__import__('signalpost.celery')"]
    assert "pip install 'signalpost[arq]'" in out["__import__('signalpost.arq')"]
