"""End to end: from an alert e-mail, a 500 response or a job ID to the run and trace behind it,
on the local stack as ``bash scripts/demo.sh`` runs it (its OTLP receiver and store included).

The harness shortens timings only (scrape and evaluation intervals, Alertmanager's group wait,
JobFailed's window, the SDK's export delays); there is no traffic generator, so every request
and job here is the test's own. The commands are run as a user runs them, as subprocesses.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import yaml

from alertmanager import knobs as alertmanager_knobs
from alertmanager.history.exemplars import example_trace_ids
from demo.faults import CACHE_SECONDS
from demo.stack import (
    ALERTMANAGER_KNOBS,
    HISTORY_DATABASE,
    PROMETHEUS_KNOBS,
    TELEMETRY_DATABASE,
    Ports,
    Stack,
    StackOptions,
)
from prometheus import knobs as prometheus_knobs
from prometheus import lookup
from prometheus.catalog import Alert
from tests.servers import REPO, wait_for

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("lookup-stack")
    data = yaml.safe_load(PROMETHEUS_KNOBS.read_text())
    data["alerts"]["job_failed"] = {"window": "20s", "for": "0m"}
    (tmp / "knobs.yaml").write_text(yaml.safe_dump(data))
    base = alertmanager_knobs.load_knobs(ALERTMANAGER_KNOBS)
    options = StackOptions(
        scrape_interval="1s",
        evaluation_interval="1s",
        prometheus_knobs=prometheus_knobs.load_knobs(tmp / "knobs.yaml"),
        alertmanager_timing=replace(base.timing, group_wait="1s", group_interval="2s"),
        app_env={
            "OTEL_BSP_SCHEDULE_DELAY": "200",
            "OTEL_BLRP_SCHEDULE_DELAY": "200",
            "DEMO_HEALTH_INTERVAL": "1",
            "DEMO_ITEM_DELAY": "0.001",
        },
        traffic_rate=0,
        ready_timeout=120.0,
    )
    ports = Ports(**{name: _free_port() for name in Ports.__dataclass_fields__})
    # Not under pytest's temporary folder: PostgreSQL runs as its own user, which must reach it.
    folder = Path(tempfile.mkdtemp(prefix="signalpost-lookup-"))
    folder.chmod(0o755)
    try:
        with Stack(folder, ports, options) as running:
            yield running
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _signalpost(stack: Stack, *argv: str) -> subprocess.CompletedProcess[str]:
    """``python -m signalpost ...`` as a user runs it, against the stack's store."""
    env = {"SIGNALPOST_LOOKUP_DSN": stack.database_url(TELEMETRY_DATABASE), "COLUMNS": "200",
           "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "signalpost", *argv], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=60)


def _lookup_json(stack: Stack, key: str) -> dict[str, Any] | None:
    done = _signalpost(stack, "lookup", key, "--json")
    if done.returncode != 0:
        return None
    found: dict[str, Any] = json.loads(done.stdout)
    return found


def _fault(stack: Stack, name: str, enabled: bool) -> None:
    response = httpx.put(f"{stack.api_url}/faults/{name}", params={"enabled": enabled})
    assert response.status_code == 200, response.text
    # The API and the worker keep the switches they read for CACHE_SECONDS: every read that
    # starts after this pause sees the new value (a bound on a cache, not a race with a job).
    time.sleep(CACHE_SECONDS + 0.1)


def _mail_text(stack: Stack, subject_has: str) -> str | None:
    for path in sorted(stack.mail_dir.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        if subject_has in str(message["Subject"]) and str(message["Subject"]).startswith(
            "[FIRING"
        ):
            body = message.get_body(preferencelist=("plain",))
            assert body is not None
            return str(body.get_content())
    return None


def test_a_failing_jobs_email_leads_to_its_run_error_retries_trace_and_request(
    stack: Stack,
) -> None:
    _fault(stack, "bad_data", True)
    try:
        created = httpx.post(f"{stack.api_url}/candidates",
                             json={"name": "Ann", "email": "ann@example.com", "resume": "go"})
        assert created.status_code == 201
        job_id = str(created.json()["parse_job_id"])
        request_id = created.headers["x-request-id"]
        text = wait_for(lambda: _mail_text(stack, "JobFailed"), "the JobFailed e-mail",
                        timeout=90, every=0.5)
    finally:
        _fault(stack, "bad_data", False)
    # Step 1: the command the e-mail names lists the failed run.
    found = re.search(r"Find the examples: (python -m signalpost runs .*)", text)
    assert found, text
    command = found.group(1).split()
    assert command[3:] == ["runs", "--type", "resume_parsing", "--status", "failed",
                           "--since", "1h"]
    # The e-mail and the export race: poll, as a user would run the command again.
    (row,) = wait_for(
        lambda: [line for line in _signalpost(stack, *command[3:]).stdout.splitlines()
                 if f" {job_id} " in line],
        "the failed run in the listing", timeout=30, every=0.5,
    )
    assert "failed" in row and "data DataError" in row
    runs = json.loads(_signalpost(stack, *command[3:], "--json").stdout)
    (run,) = [r for r in runs if r["job_id"] == job_id]
    assert run["attempts"] == 1  # a data error is not retried
    # Step 2: the run's lookup shows the error, the trace and the request that enqueued it.
    shown = wait_for(
        lambda: next((done for done in [_signalpost(stack, "lookup", job_id)]
                      if "POST /candidates -> 201" in done.stdout), None),
        "the run's trace with its request", timeout=30, every=0.5,
    )
    assert f"request {request_id}: POST /candidates -> 201" in shown.stdout
    assert f"run of job {job_id} (resume_parsing): failed after 1 attempt(s)" in shown.stdout
    assert "DataError: resume of candidate" in shown.stdout
    assert run["trace_id"] in shown.stdout
    assert "[demo-api/api]" in shown.stdout
    assert "[demo-worker/worker]" in shown.stdout


def test_a_request_id_from_a_500_finds_its_span_tree_and_error(stack: Stack) -> None:
    _fault(stack, "error_burst", True)
    try:
        failed = wait_for(
            lambda: next((r for r in (httpx.get(f"{stack.api_url}/candidates/1")
                                      for _ in range(10)) if r.status_code == 500), None),
            "a 500 from the API",
        )
    finally:
        _fault(stack, "error_burst", False)
    request_id = failed.headers["x-request-id"]

    def complete() -> dict[str, Any] | None:
        # Spans and log records arrive in separate batches: wait for the request's span and
        # its error record both.
        found = _lookup_json(stack, request_id)
        if found is None:
            return None
        (trace,) = found["traces"]
        names = {s["name"] for s in trace["spans"]}
        errors = [x for x in trace["logs"] if "error.fingerprint" in x["attributes"]]
        return found if "GET /candidates/{candidate_id}" in names and errors else None

    (trace,) = wait_for(complete, "the request's span and error record", timeout=30,
                        every=0.5)["traces"]
    root = trace["spans"][0]
    assert (root["name"], root["status"]) == ("GET /candidates/{candidate_id}", "error")
    assert root["attributes"]["http.response.status_code"] == 500
    assert root["attributes"]["request.id"] == request_id
    errors = [x for x in trace["logs"] if "error.fingerprint" in x["attributes"]]
    assert [e["attributes"]["exception.type"] for e in errors] == ["RuntimeError"]
    assert errors[0]["span_id"] == root["span_id"]
    # The request is an example of the HTTP-error alerts: Prometheus holds its trace ID as an
    # exemplar, and the alert-history receiver stores it with the alert's row.
    selector = lookup.rendered(
        {"s": str(lookup.exemplar_selector(Alert.ERROR_SPIKE))}, {"service": root["service"]}
    )["s"]
    wait_for(
        lambda: trace["trace_id"] in example_trace_ids(
            stack.prometheus_url, selector, datetime.now(UTC), datetime.now(UTC), limit=100
        ),
        "the request's exemplar in Prometheus", timeout=30, every=0.5,
    )
    started = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    notification = {
        "version": "4", "receiver": "history", "groupKey": "{}:{alertname=\"ErrorSpike\"}",
        "status": "firing",
        "alerts": [{
            "status": "firing", "fingerprint": "e2e0lookup", "startsAt": started,
            "endsAt": "0001-01-01T00:00:00Z",
            "labels": {"alertname": "ErrorSpike", "service": root["service"],
                       "error_source": "http", "severity": "warning"},
            "annotations": {"exemplar_selector": selector},
        }],
    }
    assert httpx.post(f"{stack.history_url}/alerts", json=notification).status_code == 200
    with psycopg.connect(stack.database_url(HISTORY_DATABASE)) as conn:
        (examples,) = conn.execute(
            "SELECT example_trace_ids FROM alert_history WHERE fingerprint = 'e2e0lookup'"
        ).fetchone() or (None,)
    assert examples and trace["trace_id"] in examples


def test_a_job_id_finds_the_request_that_enqueued_it(stack: Stack) -> None:
    posting = httpx.post(f"{stack.api_url}/postings",
                         json={"title": "SRE", "skills": ["python"]}).json()["id"]
    enqueued = httpx.post(f"{stack.api_url}/postings/{posting}/matching")
    assert enqueued.status_code == 202
    job_id, request_id = str(enqueued.json()["job_id"]), enqueued.headers["x-request-id"]

    def run_finished() -> dict[str, Any] | None:
        found = _lookup_json(stack, job_id)
        if found is None:
            return None
        names = {s["name"] for t in found["traces"] for s in t["spans"]}
        wanted = {"POST /postings/{posting_id}/matching", "job matching"}
        return found if wanted <= names else None

    finding = wait_for(run_finished, "the finished run in the store", timeout=60, every=0.5)
    assert finding["matched"] == "job"
    (trace,) = finding["traces"]
    spans = {s["span_id"]: s for s in trace["spans"]}
    (run,) = [s for s in spans.values() if s["name"] == "job matching"]
    request = spans[run["parent_span_id"]]
    assert request["name"] == "POST /postings/{posting_id}/matching"
    assert request["attributes"]["request.id"] == request_id
    assert (request["instance"], run["instance"]) == ("api", "worker")
    # The worker's running-jobs endpoint answers for the finished run from the store.
    finished = wait_for(
        lambda: httpx.get(f"{stack.worker_url}/jobs/{job_id}", headers=stack.worker_auth)
        .json().get("finished_run"),
        "the finished run at GET /jobs/{id}", timeout=30, every=0.5,
    )
    assert (finished["job_type"], finished["status"]) == ("matching", "succeeded")
    assert finished["trace_id"] == trace["trace_id"]
