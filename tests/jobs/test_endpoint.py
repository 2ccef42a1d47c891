"""The running-jobs endpoints in process: hostile input, authenticators, set-up wiring (the
app and a worker's metrics port)."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import MutableMapping
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry
from starlette.testclient import TestClient

from signalpost.jobs import JobCancelled, JobsEndpoint, RunningJobs
from signalpost.sdk import SetupOptions
from signalpost.sdk.setup import setup
from signalpost.serving.metrics.auth import BasicAuth, BearerAuth
from tests.jobs.conftest import JobFactory
from tests.servers import free_port

STATUSES = {200, 202, 400, 401, 404, 405}


def _call_asgi(endpoint: JobsEndpoint, scope: dict[str, Any]) -> tuple[int, bytes]:
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    asyncio.run(endpoint(scope, receive, send))
    return sent[0]["status"], sent[1]["body"]


def test_hostile_requests_get_a_json_4xx_never_an_error(
    make_job: JobFactory, running: RunningJobs
) -> None:
    endpoint = JobsEndpoint(running, auth=BearerAuth("t0ken"))
    with make_job("etl", job_id="known") as run:
        run.progress(1, 4, "step token=abc")

        @settings(max_examples=300, deadline=None)
        @given(
            method=st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE"]) | st.text(max_size=8),
            path=st.text() | st.sampled_from(["/", "/known", "/known/cancel", "//cancel"]),
            query=st.text() | st.sampled_from(["limit=2", "cursor=x", "type=etl&limit=9999"]),
            authorization=st.sampled_from([None, "Bearer t0ken"]) | st.text(),
        )
        def check(method: str, path: str, query: str, authorization: str | None) -> None:
            status, headers, body = endpoint.respond(method, path, query, authorization)
            assert status in STATUSES
            assert dict(headers)["content-type"] == "application/json"
            if method != "HEAD":
                assert "pid" in json.loads(body)["process"]
            if authorization != "Bearer t0ken":
                assert status == 401

        check()
        assert not run.cancel_requested or run.cancel_reason


def test_hostile_asgi_scopes_never_fail(make_job: JobFactory, running: RunningJobs) -> None:
    endpoint = JobsEndpoint(running)
    with make_job("etl", job_id="a/b") as run:
        run.progress(1)

        @settings(max_examples=150, deadline=None)
        @given(
            path=st.text(),
            raw_path=st.none() | st.binary(),
            root_path=st.sampled_from(["", "/jobs", "/api/jobs"]) | st.text(max_size=10),
            query=st.binary(),
            method=st.sampled_from(["GET", "POST", "OPTIONS"]),
        )
        def check(
            path: str, raw_path: bytes | None, root_path: str, query: bytes, method: str
        ) -> None:
            scope = {
                "type": "http",
                "method": method,
                "path": root_path + path,
                "raw_path": raw_path,
                "root_path": root_path,
                "query_string": query,
                "headers": [(b"authorization", b"\xff\xfe")],
            }
            status, body = _call_asgi(endpoint, scope)
            assert status in STATUSES
            assert "process" in json.loads(body)

        check()
    # an encoded slash stays inside the ID
    scope = {"type": "http", "method": "GET", "path": "/jobs/a/b", "raw_path": b"/jobs/a%2Fb",
             "root_path": "/jobs", "query_string": b"", "headers": []}  # fmt: skip
    with make_job("etl", job_id="a/b"):
        status, body = _call_asgi(endpoint, scope)
    assert status == 200 and json.loads(body)["run"]["job_id"] == "a/b"


def test_basic_credentials_are_checked_like_for_metrics(running: RunningJobs) -> None:
    endpoint = JobsEndpoint(running, auth=BasicAuth("ops", "pa55"))
    good = "Basic " + base64.b64encode(b"ops:pa55").decode()
    bad = "Basic " + base64.b64encode(b"ops:nope").decode()
    assert endpoint.respond("GET", "/", "", good)[0] == 200
    status, headers, body = endpoint.respond("GET", "/", "", bad)
    assert status == 401 and dict(headers)["www-authenticate"].startswith("Basic")
    assert json.loads(body) == {"error": "unauthorized", "process": json.loads(body)["process"]}


def test_listing_is_bounded_and_the_message_scrubbed(
    make_job: JobFactory, running: RunningJobs
) -> None:
    endpoint = JobsEndpoint(running)
    secret_message = "batch api_key=s3cr3t-value " + "x" * 10_000
    with make_job("etl", job_id="one") as run:
        run.progress(2, 0, secret_message)  # a zero total gives no ratio
        body = json.loads(endpoint.respond("GET", "", "limit=1")[2])
    progress = body["runs"][0]["progress"]
    assert "s3cr3t-value" not in progress["message"] and len(progress["message"]) <= 500
    assert progress["ratio"] is None and progress["total"] == 0


def _setup_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    monkeypatch.setenv("SIGNALPOST_METRICS_BEARER_TOKEN", "w0rker")


def test_a_worker_serves_the_endpoints_on_its_metrics_port(
    monkeypatch: pytest.MonkeyPatch, make_job: JobFactory
) -> None:
    _setup_env(monkeypatch)
    port = free_port()
    telemetry = setup(
        None,
        overrides={"metrics": {"port": port, "address": "127.0.0.1"}},
        options=SetupOptions(
            registry=CollectorRegistry(),
            set_global_providers=False,
            configure_logging=False,
        ),
    )
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": "Bearer w0rker"}
    try:
        job = make_job("nightly", job_id="w-1", running=None)  # the process-wide list
        with pytest.raises(JobCancelled), job as run:
            run.progress(5, 50, "exporting")
            listed = httpx.get(f"{base}/jobs", headers=auth).json()
            assert [r["job_id"] for r in listed["runs"]] == ["w-1"]
            assert listed["runs"][0]["progress"]["ratio"] == 0.1
            detail = httpx.get(f"{base}/jobs/w-1", headers=auth).json()
            assert detail["run"]["attempts"][0]["number"] == 1
            assert httpx.get(f"{base}/jobs", headers={}).status_code == 401
            assert httpx.get(f"{base}/jobs/nope", headers=auth).status_code == 404
            assert httpx.delete(f"{base}/jobs/w-1", headers=auth).status_code == 405
            assert httpx.post(f"{base}/jobs/w-1/cancel", headers=auth).status_code == 202
            run.check()  # the sync run sees the request here
        assert run.state == "cancelled"
        assert httpx.get(f"{base}/jobs/w-1", headers=auth).status_code == 404
        assert httpx.get(f"{base}/metrics", headers=auth).status_code == 200
    finally:
        telemetry.shutdown()


def test_the_path_is_configurable_and_the_endpoints_can_be_turned_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _setup_env(monkeypatch)
    app = FastAPI()
    telemetry = setup(
        app,
        overrides={"jobs": {"path": "/ops/running"}},
        options=SetupOptions(
            registry=CollectorRegistry(),
            set_global_providers=False,
            configure_logging=False,
        ),
    )
    with TestClient(app) as client:
        auth = {"Authorization": "Bearer w0rker"}
        listed = client.get("/ops/running", headers=auth)
        assert listed.status_code == 200 and listed.json()["runs"] == []
        assert client.get("/ops/running/", headers=auth).status_code == 200
        assert client.get("/ops/running/x", headers=auth).status_code == 404
        assert client.get("/jobs", headers=auth).status_code == 404
    telemetry.shutdown()

    off = FastAPI()
    telemetry = setup(
        off,
        overrides={"jobs": {"enabled": False}},
        options=SetupOptions(
            registry=CollectorRegistry(),
            set_global_providers=False,
            configure_logging=False,
        ),
    )
    with TestClient(off) as client:
        assert client.get("/jobs", headers={"Authorization": "Bearer w0rker"}).status_code == 404
    telemetry.shutdown()
