"""Cancel changes state: without credentials it is refused (403), on the app and on a worker's
metrics port, unless loopback clients are explicitly allowed; reading stays open."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from starlette.testclient import TestClient

from signalpost.jobs import JobsEndpoint, RunningJobs
from signalpost.sdk import SetupOptions
from signalpost.sdk.setup import setup
from signalpost.serving.jobs.endpoint import CONTROL_REFUSED
from signalpost.serving.metrics.auth import BearerAuth
from tests.jobs.conftest import JobFactory
from tests.servers import free_port

LOOPBACK = ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"]
REMOTE: list[str | None] = ["203.0.113.7", "10.0.0.2", "::ffff:192.0.2.1", "2001:db8::1", "testclient", "", None]


@pytest.mark.parametrize("loopback_allowed", [False, True])
@pytest.mark.parametrize("client", [*REMOTE, *LOOPBACK])
def test_cancel_without_credentials_is_refused_and_reading_stays_open(
    make_job: JobFactory, running: RunningJobs, client: str | None, loopback_allowed: bool
) -> None:
    endpoint = JobsEndpoint(running, control_from_loopback=loopback_allowed)
    with make_job("etl", job_id="j-1") as run:
        assert endpoint.respond("GET", "", "", None, client)[0] == 200
        assert endpoint.respond("GET", "/j-1", "", None, client)[0] == 200
        status, _, body = endpoint.respond("POST", "/j-1/cancel", "", None, client)
        if loopback_allowed and client in LOOPBACK:
            assert status == 202
            assert run.cancel_requested
        else:
            assert status == 403
            assert json.loads(body)["error"] == CONTROL_REFUSED
            assert not run.cancel_requested


def test_with_credentials_cancel_needs_them_from_everywhere(
    make_job: JobFactory, running: RunningJobs
) -> None:
    endpoint = JobsEndpoint(running, auth=BearerAuth("t0ken"), control_from_loopback=True)
    with make_job("etl", job_id="j-2") as run:
        for client in ("127.0.0.1", "203.0.113.7"):
            status, headers, _ = endpoint.respond("POST", "/j-2/cancel", "", None, client)
            assert status == 401 and dict(headers)["www-authenticate"].startswith("Bearer")
        assert not run.cancel_requested
        status, _, _ = endpoint.respond("POST", "/j-2/cancel", "", "Bearer t0ken", "203.0.113.7")
        assert status == 202 and run.cancel_requested


def _app_setup(monkeypatch: pytest.MonkeyPatch, **jobs: Any) -> tuple[FastAPI, Any]:
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    app = FastAPI()
    telemetry = setup(
        app,
        overrides={"jobs": jobs} if jobs else None,
        options=SetupOptions(
            registry=CollectorRegistry(),
            set_global_providers=False,
            configure_logging=False,
        ),
    )
    return app, telemetry


def test_an_unauthenticated_cancel_on_the_app_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    app, telemetry = _app_setup(monkeypatch)
    try:
        with TestClient(app, client=("203.0.113.7", 5000)) as client:
            assert client.get("/jobs").status_code == 200
            refused = client.post("/jobs/any-id/cancel")
            assert refused.status_code == 403
            assert refused.headers["content-type"] == "application/json"
            assert refused.json()["error"] == CONTROL_REFUSED
    finally:
        telemetry.shutdown()
    # Allowed for loopback clients only: a remote one is still refused.
    app, telemetry = _app_setup(monkeypatch, control_from_loopback=True)
    try:
        with TestClient(app, client=("203.0.113.7", 5000)) as client:
            assert client.post("/jobs/any-id/cancel").status_code == 403
        with TestClient(app, client=("127.0.0.1", 5000)) as client:
            assert client.post("/jobs/any-id/cancel").status_code == 404  # let through
    finally:
        telemetry.shutdown()


@pytest.mark.parametrize("loopback_allowed", [False, True])
def test_an_unauthenticated_cancel_on_a_worker_port_is_refused(
    monkeypatch: pytest.MonkeyPatch, make_job: JobFactory, loopback_allowed: bool
) -> None:
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    port = free_port()
    telemetry = setup(
        None,
        overrides={
            "metrics": {"port": port, "address": "127.0.0.1"},
            "jobs": {"control_from_loopback": loopback_allowed},
        },
        options=SetupOptions(
            registry=CollectorRegistry(),
            set_global_providers=False,
            configure_logging=False,
        ),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with make_job("nightly", job_id="w-9", running=None) as run:  # the process-wide list
            assert httpx.get(f"{base}/metrics").status_code == 200
            assert httpx.get(f"{base}/jobs/w-9").json()["run"]["job_id"] == "w-9"
            answer = httpx.post(f"{base}/jobs/w-9/cancel")
            if loopback_allowed:
                assert answer.status_code == 202 and run.cancel_requested
            else:
                assert answer.status_code == 403
                assert answer.json()["error"] == CONTROL_REFUSED
                assert not run.cancel_requested
    finally:
        telemetry.shutdown()
