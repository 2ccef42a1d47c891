"""The running-jobs endpoint and the terminal view say how many jobs wait behind the runs."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable

import pytest
from prometheus_client import CollectorRegistry
from rich.console import Console

from signalpost.cli.jobs_client import JobsClient, RateTracker
from signalpost.cli.jobs_view import render, waiting_line
from signalpost.jobs import Backlog, JobsEndpoint, RunningJobs
from signalpost.sdk import JobSources, SetupOptions
from signalpost.sdk.setup import setup
from tests.jobs.conftest import JobFactory
from tests.servers import free_port


def test_the_list_carries_the_backlog_per_type_and_queue(running: RunningJobs) -> None:
    now = 1_000_000.0
    rows = [
        Backlog("parse", 2, now - 30, "files"),
        Backlog("parse", 1, now - 65, "files"),
        Backlog("mail", 0, None),
    ]
    endpoint = JobsEndpoint(running, backlog=lambda: rows, clock=lambda: now)
    status, _, body = endpoint.respond("GET", "/")
    assert status == 200
    assert json.loads(body)["waiting"] == [
        {"job_type": "mail", "queue": "", "waiting": 0, "oldest_age_seconds": None},
        {"job_type": "parse", "queue": "files", "waiting": 3, "oldest_age_seconds": 65.0},
    ]
    _, _, only = endpoint.respond("GET", "/", "type=mail")
    assert [w["job_type"] for w in json.loads(only)["waiting"]] == ["mail"]
    # Without a source: null, and the runs are served as before.
    _, _, plain = JobsEndpoint(running).respond("GET", "/")
    assert json.loads(plain)["waiting"] is None


def test_a_failing_backlog_source_still_lists_the_runs(
    running: RunningJobs, make_job: JobFactory
) -> None:
    def broken() -> Iterable[Backlog]:
        raise ConnectionError("broker down")

    endpoint = JobsEndpoint(running, backlog=broken)
    with make_job("etl", job_id="r-1"):
        status, _, body = endpoint.respond("GET", "/")
    listed = json.loads(body)
    assert status == 200
    assert [r["job_id"] for r in listed["runs"]] == ["r-1"]
    assert listed["waiting"] is None


def test_the_terminal_view_shows_what_waits_behind_the_runs(
    monkeypatch: pytest.MonkeyPatch, make_job: JobFactory
) -> None:
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    monkeypatch.setenv("SIGNALPOST_METRICS_BEARER_TOKEN", "w0rker")
    port = free_port()
    enqueued = time.time() - 100
    telemetry = setup(
        None,
        overrides={"metrics": {"port": port, "address": "127.0.0.1"}},
        jobs=JobSources(
            backlog=lambda: [Backlog("parse", 4, enqueued, "files"), Backlog("mail", 1, None)],
        ),
        options=SetupOptions(
            registry=CollectorRegistry(),
            set_global_providers=False,
            configure_logging=False,
        ),
    )
    try:
        client = JobsClient(f"http://127.0.0.1:{port}/jobs", token="w0rker")
        with make_job("parse", job_id="p-1", running=None):
            snapshot = client.fetch()
        assert [run.job_id for run in snapshot.runs] == ["p-1"]
        assert snapshot.waiting is not None
        parse = next(row for row in snapshot.waiting if row.job_type == "parse")
        assert parse.oldest_enqueued_at is not None
        # The served age, counted back from the client's clock: at least the 100 s waited.
        assert parse.oldest_enqueued_at <= time.time() - 100
        line = waiting_line(snapshot, now=parse.oldest_enqueued_at + 125.5)
        assert line == "5 waiting behind them (parse in files 4, oldest 2:05; mail 1)"
        console = Console(width=200, record=True)
        console.print(render(snapshot, RateTracker(), client.url))
        assert "5 waiting behind them (parse in files 4, oldest 1:" in console.export_text()
    finally:
        telemetry.shutdown()
