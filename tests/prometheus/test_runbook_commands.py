"""What the runbooks tell the on-call person to run exists: every endpoint they name answers on
an app set up by :func:`signalpost.setup` (with a job running, so ``<id>`` is a real run), every
``jq`` path into the health report names a key the report has, and every ``python -m`` command
(and option) is one its module's command line accepts."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry
from starlette.testclient import TestClient

from signalpost.health import HealthMonitor
from signalpost.health.checks.postgres import PostgresCheck
from signalpost.health.checks.schema import SchemaCheck
from signalpost.jobs import RunningJobs, monitored_job
from signalpost.runtime import Runtime
from signalpost.sdk import JobSources, SetupOptions
from signalpost.sdk.setup import setup

ROOT = Path(__file__).resolve().parents[2]
RUNBOOKS = ROOT / "docs" / "runbooks"
JOB_ID = "run-42"

# `POST /jobs/{id}/cancel`, and the app's URLs in curl commands (`curl -s http://<app>/health/`).
ENDPOINT = re.compile(r"`(GET|HEAD|POST|PUT|PATCH|DELETE) (/[^\s`]*)`")
CURL = re.compile(
    r"curl (?P<options>[^`]*?)http://<(?:app|target)>(?P<path>/[^\s`'|]*)(?P<rest>[^`]*)`"
)
JQ = re.compile(r"jq '\.(\w+)")
COMMAND = re.compile(r"python -m ([\w.]+)((?: [^\s`]+)*)")
PLACEHOLDER = re.compile(r"<[^>]+>|\{[^}]+\}")


def _runbooks() -> Iterator[tuple[str, str]]:
    for path in sorted(RUNBOOKS.glob("*.md")):
        yield path.name, path.read_text(encoding="utf-8")


def _endpoints() -> list[tuple[str, str, str]]:
    """(runbook, method, path) of every endpoint of the app a runbook names."""
    found = []
    for name, text in _runbooks():
        found += [(name, m[1], m[2]) for m in ENDPOINT.finditer(text)]
        for curl in CURL.finditer(text):
            method = re.search(r"-X ?(\w+)", curl["options"])
            found.append((name, method[1] if method else "GET", curl["path"]))
    return found


def _health_jq_keys() -> list[tuple[str, str]]:
    """(runbook, top-level key) of every jq filter applied to the health report."""
    return [
        (name, jq[1])
        for name, text in _runbooks()
        for curl in CURL.finditer(text)
        if "/health" in curl["path"]
        for jq in JQ.finditer(curl["rest"])
    ]


def _commands() -> dict[tuple[str, ...], set[str]]:
    """``python -m`` module and subcommand words → the options the runbooks give them."""
    commands: dict[tuple[str, ...], set[str]] = {}
    for _, text in _runbooks():
        for match in COMMAND.finditer(text):
            words = match[2].split()
            leading = []
            for word in words:  # subcommands: plain words before any option or argument
                if not re.fullmatch(r"[a-z][\w-]*", word):
                    break
                leading.append(word)
            options = {w.split("=")[0] for w in words if w.startswith("--")}
            commands.setdefault((match[1], *leading), set()).update(options)
    return commands


def test_the_scan_finds_what_the_runbooks_name() -> None:
    # A regex that matched nothing would make the checks below pass vacuously.
    assert {(m, PLACEHOLDER.sub("{}", p)) for _, m, p in _endpoints()} >= {
        ("GET", "/jobs"),
        ("POST", "/jobs/{}/cancel"),
        ("GET", "/health/"),
        ("GET", "/metrics"),
    }
    assert {key for _, key in _health_jq_keys()} == {"components"}
    assert ("prometheus.generate",) in _commands()
    assert ("signalpost", "jobs") in _commands()


@pytest.fixture
def client() -> Iterator[TestClient]:
    """An app set up like a user's: health checks named as the runbooks' defaults, a run."""
    registry = CollectorRegistry()
    running = RunningJobs()
    health = HealthMonitor(runtime=Runtime(registry=registry))
    for check in (PostgresCheck, SchemaCheck):
        name = check.DEFAULTS.name
        assert name is not None
        health.check(name)(lambda: True)
    app = FastAPI()
    setup(
        app,
        health=health,
        jobs=JobSources(running=running),
        options=SetupOptions(
            registry=registry,
            set_global_providers=False,
            configure_logging=False,
            gc_freeze=False,
        ),
    )
    job = monitored_job(
        "etl", job_id=JOB_ID, runtime=Runtime(registry=registry, tracer_provider=TracerProvider(), running=running),
    )
    with TestClient(app) as test_client, job:
        yield test_client


def test_every_endpoint_a_runbook_names_answers(client: TestClient) -> None:
    for runbook, method, path in _endpoints():
        concrete = PLACEHOLDER.sub(JOB_ID, path)
        response = client.request(method, concrete)
        assert response.status_code not in (404, 405), (runbook, method, path, response.text)


def test_health_report_keys_in_runbooks_exist(client: TestClient) -> None:
    report = client.get("/health").json()
    for runbook, key in _health_jq_keys():
        assert key in report, (runbook, key, sorted(report))
    for name, text in _runbooks():
        for component in re.findall(r"jq '\.components\.(\w+)", text):
            assert component in report["components"], (name, component)


@pytest.mark.parametrize("command", sorted(_commands()), ids=" ".join)
def test_every_python_m_command_and_option_exists(command: tuple[str, ...]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", *command, "--help"],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=60,
    )
    assert done.returncode == 0, (command, done.stderr[-2000:])
    for option in sorted(_commands()[command]):
        assert option in done.stdout, (command, option)
