"""arq jobs with real arq worker processes against a real Redis.

Two ``python -m arq`` workers (two jobs at a time each), set up with ``signalpost.setup()`` as a
user's worker is: each serves ``/metrics`` on a port of its own and exports spans and logs to
the real OTLP receiver. A real uvicorn app set up with
``jobs_source=signalpost.arq.running_jobs(url)`` lists the runs the workers publish to Redis
(worker, progress, trace ID), shows one by ID and cancels one through arq's abort. Further
workers on queues of their own are killed: their runs leave the list, and a pending retry is
executed by the worker that takes over.
"""

from __future__ import annotations

import asyncio
import json
import math
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
from arq.constants import default_queue_name, in_progress_key_prefix
from arq.jobs import Job
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client.parser import text_string_to_metric_families

import signalpost.arq
from signalpost.integrations.arq.jobs import WORKERS_KEY, ArqRunningJobs, runs_key
from signalpost.serving.jobs.endpoint import JobsEndpoint
from signalpost.serving.metrics.auth import BearerAuth
from tests.otlp_receiver import Received, attributes, otlp_http_receiver
from tests.queues.jobs_listing import (
    TOKEN,
    WEB_CREDENTIALS,
    JobsClient,
    check_listed_and_shown,
    check_totals,
    release_gate,
)
from tests.queues.redis_server import redis_server
from tests.queues.workers import kill_group, stop_gracefully
from tests.secrets_fixture import SECRETS, assert_no_secret_in
from tests.servers import (
    QUIET_OTEL,
    REPO,
    Server,
    free_port,
    serve,
    uvicorn_command,
    wait_for,
)

pytestmark = pytest.mark.slow

HOST = socket.gethostname()


class ArqWorker:
    """``python -m arq tests.queues.arq_app.WorkerSettings`` in its own session, serving
    ``/metrics`` on a free port."""

    def __init__(self, name: str, env: dict[str, str], directory: Path) -> None:
        self.log = directory / f"{name}.log"
        self.metrics_port = free_port()
        self._out = self.log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "arq", "tests.queues.arq_app.WorkerSettings"],
            cwd=REPO,
            env={
                **os.environ,
                **QUIET_OTEL,
                "SIGNALPOST_METRICS_PORT": str(self.metrics_port),
                "SIGNALPOST_METRICS_ADDRESS": "127.0.0.1",
                **env,
            },
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

    def metrics(self) -> str:
        return httpx.get(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=30).text

    def kill(self) -> None:
        """SIGKILL: a machine that died."""
        kill_group(self.process)
        self._out.close()

    def stop(self) -> None:
        stop_gracefully(self.process, signal.SIGINT)  # arq's own shut-down
        self._out.close()


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in an exposition, ``None`` when absent."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return float(s.value)
    return None


@dataclass
class Setup:
    url: str
    web: Server
    log: Path
    directory: Path
    received: Received
    env: dict[str, str]
    workers: tuple[ArqWorker, ArqWorker]

    @property
    def jobs(self) -> JobsClient:
        return JobsClient(self.web.base_url)

    def total(self, name: str, **labels: str) -> float:
        """The sum over both workers' /metrics (what Prometheus' sum() gives)."""
        return sum(sample(w.metrics(), name, **labels) or 0.0 for w in self.workers)

    def enqueue(
        self, function: str, *calls: tuple[Any, ...], queue: str | None = None, **kwargs: Any
    ) -> list[str]:
        """Enqueue jobs through ``signalpost.arq.enqueue``; return their IDs."""

        async def go() -> list[str]:
            pool = await create_pool(RedisSettings.from_dsn(self.url))
            try:
                extra = {**kwargs, **({} if queue is None else {"_queue_name": queue})}
                jobs = [await signalpost.arq.enqueue(pool, function, *c, **extra) for c in calls]
                return [job.job_id for job in jobs if job is not None]
            finally:
                await pool.aclose()

        return asyncio.run(go())

    def results(
        self, job_ids: list[str], timeout: float = 60.0, queue: str = default_queue_name
    ) -> list[Any]:
        """The jobs' results (their exceptions, for the failed)."""

        async def go() -> list[Any]:
            pool = await create_pool(RedisSettings.from_dsn(self.url))
            try:
                out: list[Any] = []
                for job_id in job_ids:
                    try:
                        out.append(
                            await Job(job_id, pool, _queue_name=queue).result(timeout=timeout)
                        )
                    except (Exception, asyncio.CancelledError) as error:
                        out.append(error)  # an aborted job's result is CancelledError
                return out
            finally:
                await pool.aclose()

        return asyncio.run(go())

    def run_spans(self, job_id: str) -> list[Any]:
        return sorted(
            (
                span
                for _, span in self.received.spans()
                if attributes(span.attributes).get("job.id") == job_id
                and span.name.startswith("job ")
            ),
            key=lambda span: span.start_time_unix_nano,
        )


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    directory = tmp_path_factory.mktemp("arq-jobs")
    log = directory / "signalpost.jsonl"
    with redis_server(directory) as url, otlp_http_receiver() as (endpoint, received):
        env = {
            "ARQ_TEST_BROKER": url,
            "ARQ_TEST_LOG": str(log),
            "OTEL_SERVICE_NAME": "arq-worker",
            "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_LOGS_EXPORTER": "otlp",
            "OTEL_BSP_SCHEDULE_DELAY": "200",
            "OTEL_BLRP_SCHEDULE_DELAY": "200",
        }
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
                env={"JOBS_WEB_BROKER": url, **WEB_CREDENTIALS},
            ) as web:
                yield Setup(url, web, log, directory, received, env, (w1, w2))
        finally:
            w1.stop()
            w2.stop()


def _records(log: Path, job_id: str) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    records = [json.loads(line) for line in log.read_text().splitlines() if line]
    return [r for r in records if r.get("attributes", {}).get("job.id") == job_id]


def _events(log: Path, job_id: str) -> list[str]:
    return [
        r["attributes"]["job.event"]
        for r in _records(log, job_id)
        if "job.event" in r["attributes"]
    ]


def test_the_endpoint_lists_shows_and_cancels_runs_across_workers(setup: Setup) -> None:
    tracer = TracerProvider().get_tracer("request")
    with release_gate(setup.directory) as gate:
        with tracer.start_as_current_span("POST /match") as request:
            ids = set(setup.enqueue("slow", *[(600, 0.25, str(gate))] * 4))
        trace_id = format(request.get_span_context().trace_id, "032x")
        assert len(ids) == 4

        jobs = setup.jobs
        names = {w.name for w in setup.workers}
        check_listed_and_shown(
            jobs, ids, job_type="slow", workers=names, total=600, trace_id=trace_id
        )
        target = sorted(ids)[0]
        client = redis.Redis.from_url(setup.url)
        for worker in names:  # scrubbed before it left the worker, not only when served
            assert b"hunter2" not in b"".join(cast(list[bytes], client.hvals(runs_key(worker))))

        cancelled = jobs.cancel(target)
        assert cancelled.status_code == 202 and cancelled.json()["cancelled"] == 1
        # In the worker the run ended cancelled, through arq's abort.
        wait_for(
            lambda: _events(setup.log, target)[-1:] == ["cancelled"], "the run to end cancelled"
        )
        wait_for(lambda: target not in setup.jobs.runs(), "the cancelled run to leave the list")
        assert setup.jobs.get(f"/{target}").status_code == 404
        assert jobs.cancel(target).status_code == 404

    # Released, the others end normally, on both workers, and leave the list and Redis.
    others = ids - {target}
    wait_for(
        lambda: all(_events(setup.log, i)[-1:] == ["succeeded"] for i in others),
        "the other runs to succeed",
        timeout=60,
    )
    assert not ids & set(setup.jobs.runs())
    wait_for(
        lambda: all(client.hlen(runs_key(w)) == 0 for w in names), "the workers' runs to be removed"
    )


def test_a_killed_workers_runs_leave_the_list(setup: Setup) -> None:
    env = {**setup.env, "ARQ_TEST_QUEUE": "doomed"}
    doomed = ArqWorker("doomed", env, setup.directory)
    try:
        doomed.wait_ready()
        (job_id,) = setup.enqueue("slow", (600, 0.2), queue="doomed")
        listed = wait_for(lambda: setup.jobs.runs().get(job_id), "the run on the doomed worker")
        assert listed["worker"] == doomed.name
    finally:
        doomed.kill()  # a machine that died: no end is recorded, the run is not removed
    client = redis.Redis.from_url(setup.url)
    assert client.exists(in_progress_key_prefix + job_id)  # arq still thinks it runs
    started = time.monotonic()
    wait_for(lambda: job_id not in setup.jobs.runs(), "the dead worker's run to leave", timeout=30)
    assert time.monotonic() - started < 15  # the publication's 10 s expiry
    assert doomed.name.encode() not in cast(list[bytes], client.zrange(WORKERS_KEY, 0, -1))


def test_an_unreachable_redis_is_a_503(setup: Setup) -> None:
    source = signalpost.arq.running_jobs(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5)
    endpoint = JobsEndpoint(source, auth=BearerAuth(TOKEN))
    for method, path in (("GET", ""), ("GET", "/x"), ("POST", "/x/cancel")):
        status, headers, body = endpoint.respond(method, path, "", f"Bearer {TOKEN}")
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


def test_totals_are_exact_across_worker_processes(setup: Setup) -> None:
    ids = setup.enqueue("add", *[(i, 1) for i in range(24)])
    values = setup.results(ids)
    assert [v[0] for v in values] == [i + 1 for i in range(24)]
    assert {v[1] for v in values} == {w.process.pid for w in setup.workers}  # both ran some
    check_totals(setup.total, "add", 24)
    # The request's trace holds every run span; each worker logged each run's events once.
    spans = wait_for(lambda: all(len(setup.run_spans(i)) == 1 for i in ids) and ids, "24 run spans")
    assert len(spans) == 24
    assert all(_events(setup.log, i) == ["started", "progress", "succeeded"] for i in ids)


def test_a_hung_job_shows_as_stuck_and_cancel_by_id_ends_it_cancelled(setup: Setup) -> None:
    client = redis.Redis.from_url(setup.url)
    (job_id,) = setup.enqueue("hang", ("hung",))
    started = float(cast(bytes, wait_for(lambda: client.get("hung:started"), "the hung job")))
    t = "hang"
    time.sleep(1.5)
    (worker,) = [
        w
        for w in setup.workers
        if sample(w.metrics(), "signalpost_job_runs_in_progress", job_type=t)
    ]
    text = worker.metrics()
    progress = sample(text, "signalpost_job_oldest_progress_timestamp_seconds", job_type=t)
    start = sample(text, "signalpost_job_oldest_running_start_timestamp_seconds", job_type=t)
    assert progress is not None and start is not None
    # The run starts before the job's body notes the time; no progress since the start.
    assert start <= started and progress == start
    assert time.time() - progress >= 1.5  # the age the stuck rule computes
    listed = wait_for(lambda: setup.jobs.runs().get(job_id), "the hung run in the list")
    assert listed["worker"] == worker.name and listed["progress"] is None
    assert listed["seconds_since_progress"] >= 1.5

    # Cancel changes state: refused without credentials, on the worker's own metrics port (none
    # configured there: 403) as on the web app (a token configured: 401).
    on_worker = f"http://127.0.0.1:{worker.metrics_port}/jobs/{job_id}"
    refused = httpx.post(f"{on_worker}/cancel", timeout=30)
    assert refused.status_code == 403 and "credentials" in refused.json()["error"]
    assert setup.jobs.cancel(job_id, credentials=False).status_code == 401
    assert httpx.get(on_worker, timeout=30).json()["run"]["cancel_requested"] is False
    cancelled = setup.jobs.cancel(job_id)
    assert cancelled.status_code == 202
    wait_for(
        lambda: sample(
            worker.metrics(),
            "signalpost_job_runs_finished_total",
            job_type=t,
            job_status="cancelled",
        ),
        "the run to end cancelled",
    )
    text = worker.metrics()
    assert sample(text, "signalpost_job_runs_in_progress", job_type=t) == 0
    assert sample(text, "signalpost_job_oldest_progress_timestamp_seconds", job_type=t) == math.inf
    (span,) = wait_for(lambda: setup.run_spans(job_id), "the run span")
    assert attributes(span.attributes)["job.status"] == "cancelled"
    assert isinstance(setup.results([job_id])[0], asyncio.CancelledError)  # arq's abort


def test_scrubbed_arguments_never_appear_in_clear(setup: Setup) -> None:
    (job_id,) = setup.enqueue(
        "leak", (), password=SECRETS[0].value, notes=[s.text for s in SECRETS]
    )
    (result,) = setup.results([job_id])
    assert isinstance(result, RuntimeError)
    (span,) = wait_for(lambda: setup.run_spans(job_id), "the run span")
    failed = wait_for(
        lambda: [r for r in _records(setup.log, job_id) if "job failed" in json.dumps(r)],
        "the error record",
    )
    assert failed
    attrs = attributes(span.attributes)
    assert "job.parameters.password" in attrs and "job.parameters.notes" in attrs
    assert attrs["error.class"]
    wait_for(
        lambda: any(job_id in str(r) for _, r in setup.received.log_records()), "the OTLP records"
    )
    exported = b"".join(t.SerializeToString() for t in setup.received.traces)
    exported += b"".join(t.SerializeToString() for t in setup.received.logs)
    logged = setup.log.read_text()
    stdout = "".join(w.log.read_text(errors="replace") for w in setup.workers)
    expositions = "".join(w.metrics() for w in setup.workers)
    assert_no_secret_in(
        otlp_export=exported, json_log=logged, metrics=expositions, worker_stdout=stdout
    )


def test_a_pending_retry_survives_its_worker_and_keeps_its_numbering(setup: Setup) -> None:
    """The first attempt fails on a worker of the queue ``retryq``, which leaves during the
    back-off (3 s); a worker started afterwards (another machine) runs the second attempt."""
    client = redis.Redis.from_url(setup.url)
    env = {**setup.env, "ARQ_TEST_QUEUE": "retryq"}
    tracer = TracerProvider().get_tracer("request")
    with tracer.start_as_current_span("POST /import") as request_span:
        (job_id,) = setup.enqueue("flaky", ("flaky", 1), queue="retryq")
    # One job and it leaves (arq's burst mode, started once the job waits: an empty queue
    # would end it at once): it cannot run the retry itself, however late the checks get to run.
    first = ArqWorker("retry-first", {**env, "ARQ_TEST_ONE_JOB": "1"}, setup.directory)
    try:
        wait_for(
            lambda: _events(setup.log, job_id)[-1:] == ["retry_scheduled"], "the retry scheduled"
        )
        # The span of attempt 1 is exported (batched) before the machine goes.
        wait_for(lambda: setup.run_spans(job_id), "the first attempt's span")
        first.process.wait(timeout=60)  # it left by itself, the retry still pending
    finally:
        first.kill()
    second = ArqWorker("retry-second", env, setup.directory)
    try:
        second.wait_ready()
        assert setup.results([job_id], queue="retryq") == [2]
    finally:
        second.stop()
    pids = [int(p) for p in cast(list[bytes], client.lrange("flaky:workers", 0, -1))]
    assert pids == [first.process.pid, second.process.pid]

    spans = wait_for(
        lambda: len(setup.run_spans(job_id)) == 2 and setup.run_spans(job_id), "both run spans"
    )
    one, two = spans
    context = request_span.get_span_context()
    assert one.trace_id == two.trace_id == context.trace_id.to_bytes(16, "big")
    a1, a2 = attributes(one.attributes), attributes(two.attributes)
    assert (a1["job.attempt"], a1["job.status"], a1["error.class"]) == (1, "retrying", "transient")
    assert (a2["job.attempt"], a2["job.status"]) == (2, "succeeded")
    events = _events(setup.log, job_id)
    assert events == ["started", "retry_scheduled", "started", "succeeded"], events
    attempts = [r["attributes"]["job.attempt"] for r in _records(setup.log, job_id)]
    assert attempts == [1, 1, 2, 2]  # each record names its attempt
