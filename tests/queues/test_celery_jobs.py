"""The running-jobs endpoint and terminal view over Celery runs, across workers.

A real uvicorn app set up with ``jobs_source=signalpost.celery.running_jobs(app)`` lists the
tasks two real prefork workers run (worker hostname from ``inspect().active()``, progress from
the ``PROGRESS`` state the pool children publish to the Redis result backend), shows one by
ID and cancels one by ID through revoke.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from celery import Celery

from signalpost.celery import running_jobs
from signalpost.serving.jobs.endpoint import JobsEndpoint
from signalpost.serving.metrics.auth import BearerAuth
from tests.otlp_receiver import otlp_http_receiver
from tests.queues.jobs_listing import (
    AUTH,
    TOKEN,
    WEB_CREDENTIALS,
    JobsClient,
    check_listed_and_shown,
    release_gate,
)
from tests.queues.redis_server import redis_server
from tests.queues.workers import Worker
from tests.servers import Server, free_port, serve, uvicorn_command, wait_for

pytestmark = pytest.mark.slow


@dataclass
class Setup:
    app: Celery
    web: Server
    log: Path
    workers: tuple[Worker, Worker]

    @property
    def jobs(self) -> JobsClient:
        return JobsClient(self.web.base_url)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    directory = tmp_path_factory.mktemp("celery-jobs")
    log = directory / "signalpost.jsonl"
    with redis_server(directory) as url, otlp_http_receiver() as (endpoint, _):
        # A client app of its own: the shared test app's connections may point at the
        # Redis of another test module.
        client = Celery("jobs-test-client", broker=url, backend=url)
        client.conf.update(
            task_serializer="json",
            accept_content=["json"],
            result_serializer="json",
            task_default_queue="default",
        )
        env = {
            "SIGNALPOST_TEST_BROKER": url,
            "SIGNALPOST_TEST_LOG": str(log),
            "SIGNALPOST_TEST_OTLP": endpoint,
        }
        w1 = Worker("jw1", "default", env, directory)
        w2 = Worker("jw2", "default", env, directory)
        port = free_port()
        try:
            w1.wait_ready(client)
            w2.wait_ready(client)
            with serve(
                uvicorn_command("tests.queues.jobs_web:app", port),
                f"http://127.0.0.1:{port}",
                directory / "web.log",
                env={"JOBS_WEB_BROKER": url, **WEB_CREDENTIALS},
            ) as web:
                yield Setup(client, web, log, (w1, w2))
        finally:
            w1.stop()
            w2.stop()
            gc.collect()  # AsyncResult.__del__ talks to the backend: before Redis stops
            client.close()


def _events(log: Path, task_id: str) -> list[str]:
    if not log.exists():
        return []
    records = [json.loads(line) for line in log.read_text().splitlines() if line]
    return [
        r["attributes"]["job.event"]
        for r in records
        if r.get("attributes", {}).get("job.id") == task_id and "job.event" in r["attributes"]
    ]


def test_the_endpoint_lists_shows_and_cancels_runs_across_workers(setup: Setup) -> None:
    with release_gate(setup.log.parent) as gate:
        results = [setup.app.send_task("tests.slow", (600, 0.25, str(gate))) for _ in range(4)]
        ids = {r.id for r in results}

        jobs = setup.jobs
        hostnames = {w.hostname for w in setup.workers}
        check_listed_and_shown(jobs, ids, job_type="tests.slow", workers=hostnames, total=600)
        target = sorted(ids)[0]

        cancelled = jobs.cancel(target)
        assert cancelled.status_code == 202 and cancelled.json()["cancelled"] == 1
        by_id = {r.id: r for r in results}
        wait_for(lambda: by_id[target].state == "REVOKED", "the task to be revoked")
        # In the worker's pool child the run ended cancelled.
        wait_for(
            lambda: _events(setup.log, target)[-1:] == ["cancelled"], "the run to end cancelled"
        )
        wait_for(lambda: target not in setup.jobs.runs(), "the cancelled run to leave the list")
        assert setup.jobs.get(f"/{target}").status_code == 404

    # Released, the others end normally: the published PROGRESS never overwrote their result.
    others = [r for r in results if r.id != target]
    assert {r.get(timeout=60) for r in others} <= {w.process.pid for w in setup.workers}
    assert all(r.state == "SUCCESS" for r in others)
    wait_for(lambda: not ids & set(setup.jobs.runs()), "no run of ours left")


def test_unknown_ids_are_404_and_the_schema_is_kept(setup: Setup) -> None:
    assert setup.jobs.get("/no-such-task").status_code == 404
    assert setup.jobs.cancel("no-such-task").status_code == 404
    refused = setup.jobs.cancel("no-such-task", credentials=False)
    assert refused.status_code == 401 and refused.json()["error"] == "unauthorized"
    deleted = httpx.delete(f"{setup.web.base_url}/jobs/x", headers=AUTH, timeout=30)
    assert deleted.status_code == 405
    body = setup.jobs.get("?limit=0").json()
    assert "limit" in body["error"]


def test_an_unreachable_broker_is_a_503() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    app = Celery("jobs-test-down", broker=url, backend=url)
    app.conf.broker_transport_options = {"max_retries": 0}  # answer now, not after retries
    endpoint = JobsEndpoint(running_jobs(app), auth=BearerAuth(TOKEN))
    for method, path in (("GET", ""), ("GET", "/x"), ("POST", "/x/cancel")):
        status, headers, body = endpoint.respond(method, path, "", f"Bearer {TOKEN}")
        assert status == 503, body
        assert json.loads(body)["error"] == "Celery's broker: OperationalError"
        assert ("retry-after", "5") in headers
    app.close()
