"""The running-jobs endpoint and terminal view over arq runs, across workers.

A real uvicorn app set up with ``jobs_source=signalpost.arq.running_jobs(url)`` lists the runs
two real arq worker processes publish to a real Redis (worker, progress, trace ID), shows one
by ID and cancels one by ID through arq's abort. A killed worker's runs leave the list.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import redis
from arq.connections import RedisSettings, create_pool
from arq.constants import in_progress_key_prefix
from opentelemetry.sdk.trace import TracerProvider

import signalpost.arq
from signalpost.instrumentation.arq_jobs import WORKERS_KEY, ArqRunningJobs, runs_key
from signalpost.instrumentation.jobs.endpoint import JobsEndpoint
from tests.queues.redis_server import redis_server
from tests.queues.test_celery import wait_for
from tests.servers import QUIET_OTEL, REPO, Server, free_port, serve, uvicorn_command

pytestmark = pytest.mark.slow

HOST = socket.gethostname()


class ArqWorker:
    """``python -m arq tests.queues.arq_app.WorkerSettings`` in its own session."""

    def __init__(self, name: str, env: dict[str, str], directory: Path) -> None:
        self.log = directory / f"{name}.log"
        self._out = self.log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "arq", "tests.queues.arq_app.WorkerSettings"],
            cwd=REPO,
            env={**os.environ, **QUIET_OTEL, **env},
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.name = f"{HOST}:{self.process.pid}"

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"arq worker exited: {self.log.read_text()[-3000:]}")
            if "Starting worker" in self.log.read_text(errors="replace"):
                return
            time.sleep(0.1)
        raise RuntimeError(f"arq worker not ready: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self._out.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._out.close()


@dataclass
class Setup:
    url: str
    web: Server
    log: Path
    directory: Path
    workers: tuple[ArqWorker, ArqWorker]

    def get(self, path: str = "") -> httpx.Response:
        return httpx.get(f"{self.web.base_url}/jobs{path}", timeout=30)

    def runs(self) -> dict[str, dict[str, Any]]:
        answer = self.get()
        assert answer.status_code == 200, answer.text
        return {run["job_id"]: run for run in answer.json()["runs"]}

    def enqueue(self, *calls: tuple[Any, ...], queue: str | None = None) -> list[str]:
        """Enqueue ``slow`` jobs through ``signalpost.arq.enqueue``; return their IDs."""

        async def go() -> list[str]:
            pool = await create_pool(RedisSettings.from_dsn(self.url))
            try:
                extra = {} if queue is None else {"_queue_name": queue}
                jobs = [await signalpost.arq.enqueue(pool, "slow", *c, **extra) for c in calls]
                return [job.job_id for job in jobs if job is not None]
            finally:
                await pool.aclose()

        return asyncio.run(go())


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    directory = tmp_path_factory.mktemp("arq-jobs")
    log = directory / "signalpost.jsonl"
    with redis_server(directory) as url:
        env = {"SIGNALPOST_TEST_BROKER": url, "SIGNALPOST_TEST_LOG": str(log)}
        w1 = ArqWorker("aw1", env, directory)
        w2 = ArqWorker("aw2", env, directory)
        port = free_port()
        try:
            w1.wait_ready()
            w2.wait_ready()
            with serve(
                uvicorn_command("tests.queues.arq_web:app", port),
                f"http://127.0.0.1:{port}",
                directory / "web.log",
                env={"JOBS_WEB_BROKER": url},
            ) as web:
                yield Setup(url, web, log, directory, (w1, w2))
        finally:
            w1.stop()
            w2.stop()


def _events(log: Path, job_id: str) -> list[str]:
    if not log.exists():
        return []
    records = [json.loads(line) for line in log.read_text().splitlines() if line]
    return [
        r["attributes"]["job.event"]
        for r in records
        if r.get("attributes", {}).get("job.id") == job_id and "job.event" in r["attributes"]
    ]


def test_the_endpoint_lists_shows_and_cancels_runs_across_workers(setup: Setup) -> None:
    tracer = TracerProvider().get_tracer("request")
    with tracer.start_as_current_span("POST /match") as request:
        ids = set(setup.enqueue(*[(60, 0.25)] * 4))
    trace_id = format(request.get_span_context().trace_id, "032x")
    assert len(ids) == 4

    def all_listed_with_progress() -> dict[str, dict[str, Any]] | None:
        runs = setup.runs()
        mine = {i: run for i, run in runs.items() if i in ids}
        ok = len(mine) == 4 and all(run["progress"] for run in mine.values())
        return mine if ok else None

    first = wait_for(all_listed_with_progress, "four runs with progress", timeout=60)
    names = {w.name for w in setup.workers}
    assert {run["worker"] for run in first.values()} == names  # both workers, named
    for run in first.values():
        assert run["job_type"] == "slow"
        assert run["state"] == "running"
        assert run["attempt"] == 1
        assert run["progress"]["total"] == 60
        assert run["progress"]["message"].endswith("password=[Filtered]")
        assert run["trace_id"] == trace_id  # the enqueuing request's trace
        assert run["age_seconds"] >= 0
    target = sorted(ids)[0]
    before = first[target]["progress"]["done"]

    advanced = wait_for(
        lambda: (run := setup.runs().get(target)) and run["progress"]["done"] > before and run,
        "progress to advance",
    )
    assert advanced["progress"]["ratio"] == pytest.approx(advanced["progress"]["done"] / 60)

    detail = setup.get(f"/{target}")
    assert detail.status_code == 200
    body = detail.json()
    assert body["run"]["job_id"] == target and body["runs_with_this_id"] == 1
    assert body["run"]["worker"] == first[target]["worker"]
    assert "hunter2" not in detail.text and "hunter2" not in setup.get().text
    client = redis.Redis.from_url(setup.url)
    for worker in names:  # scrubbed before it left the worker, not only when served
        assert b"hunter2" not in b"".join(cast(list[bytes], client.hvals(runs_key(worker))))

    # The terminal view, unchanged, reads the same endpoint.
    view = subprocess.run(
        [sys.executable, "-m", "signalpost", "jobs", f"{setup.web.base_url}/jobs", "--once"],
        cwd=REPO,
        env={**os.environ, **QUIET_OTEL, "COLUMNS": "200"},
        capture_output=True,
        timeout=60,
    )
    assert view.returncode == 0, view.stderr
    screen = view.stdout.decode()
    assert target[:8] in screen and "WORKER" in screen
    assert all(name in screen for name in names)

    cancelled = httpx.post(f"{setup.web.base_url}/jobs/{target}/cancel", timeout=30)
    assert cancelled.status_code == 202 and cancelled.json()["cancelled"] == 1
    # In the worker the run ended cancelled, through arq's abort.
    wait_for(lambda: _events(setup.log, target)[-1:] == ["cancelled"], "the run to end cancelled")
    wait_for(lambda: target not in setup.runs(), "the cancelled run to leave the list")
    assert setup.get(f"/{target}").status_code == 404
    assert httpx.post(f"{setup.web.base_url}/jobs/{target}/cancel", timeout=30).status_code == 404

    # The others end normally, on both workers, and leave the list and Redis.
    others = ids - {target}
    wait_for(
        lambda: all(_events(setup.log, i)[-1:] == ["succeeded"] for i in others),
        "the other runs to succeed",
        timeout=60,
    )
    assert not ids & set(setup.runs())
    wait_for(
        lambda: all(client.hlen(runs_key(w)) == 0 for w in names), "the workers' runs to be removed"
    )


def test_a_killed_workers_runs_leave_the_list(setup: Setup) -> None:
    env = {
        "SIGNALPOST_TEST_BROKER": setup.url,
        "SIGNALPOST_TEST_LOG": str(setup.log),
        "SIGNALPOST_TEST_ARQ_QUEUE": "doomed",
    }
    doomed = ArqWorker("doomed", env, setup.directory)
    try:
        doomed.wait_ready()
        (job_id,) = setup.enqueue((600, 0.2), queue="doomed")
        listed = wait_for(lambda: setup.runs().get(job_id), "the run on the doomed worker")
        assert listed["worker"] == doomed.name
    finally:
        doomed.kill()  # a machine that died: no end is recorded, the run is not removed
    client = redis.Redis.from_url(setup.url)
    assert client.exists(in_progress_key_prefix + job_id)  # arq still thinks it runs
    started = time.monotonic()
    wait_for(lambda: job_id not in setup.runs(), "the dead worker's run to leave", timeout=30)
    assert time.monotonic() - started < 15  # the publication's 10 s expiry
    assert doomed.name.encode() not in cast(list[bytes], client.zrange(WORKERS_KEY, 0, -1))


def test_an_unreachable_redis_is_a_503(setup: Setup) -> None:
    source = signalpost.arq.running_jobs(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5)
    endpoint = JobsEndpoint(source)
    for method, path in (("GET", ""), ("GET", "/x"), ("POST", "/x/cancel")):
        status, headers, body = endpoint.respond(method, path)
        assert status == 503, body
        assert json.loads(body)["error"] == "arq's Redis: ConnectionError"
        assert ("retry-after", "5") in headers
    source.close()


def test_malformed_publications_are_skipped_or_cleaned(setup: Setup) -> None:
    client = redis.Redis.from_url(setup.url)
    worker = "forged:1"
    key = runs_key(worker)
    good = {"signalpost": 1, "job_type": "x", "started_at": time.time() - 5, "attempt": 2}
    client.hset(
        key,
        mapping={
            "not-json": b"\xff{",
            "a-list": "[1, 2]",
            "no-mark": json.dumps({"job_type": "x"}),
            "bad-types": json.dumps(
                {
                    "signalpost": 1,
                    "job_type": ["x"],
                    "started_at": True,
                    "attempt": True,
                    "done": "NaN",
                    "total": "inf",
                    "message": 7,
                    "trace_id": "t" * 1000,
                    "cancel_requested": "yes",
                }
            ),
            "good": json.dumps(good),
            "ended": json.dumps(good),
        },
    )
    client.zadd(WORKERS_KEY, {worker: time.time() + 60})
    for job_id in ("not-json", "a-list", "no-mark", "bad-types", "good"):
        client.set(in_progress_key_prefix + job_id, b"1", ex=60)
    source = ArqRunningJobs(setup.url)
    try:
        jobs = {job.job_id: job for job in source.snapshot() if job.worker == worker}
        assert set(jobs) == {"bad-types", "good"}  # "ended" has no in-progress key
        bad = jobs["bad-types"]
        assert (bad.job_type, bad.attempt, bad.done, bad.total, bad.message) == (
            "",
            1,
            None,
            None,
            None,
        )
        assert (
            bad.cancel_requested is False and bad.trace_id is not None and len(bad.trace_id) == 256
        )
        assert (jobs["good"].attempt, jobs["good"].job_type) == (2, "x")
        assert 4 <= jobs["good"].age < 60
        client.zadd(WORKERS_KEY, {worker: time.time() - 1})  # its publication expired
        assert not [job for job in source.snapshot() if job.worker == worker]
        assert worker.encode() not in cast(list[bytes], client.zrange(WORKERS_KEY, 0, -1))
    finally:
        source.close()
        client.delete(key)
