"""Celery tasks as monitored runs, with a real Redis broker and real prefork workers.

Two workers (two pool children each) share a prometheus-client multiprocess directory, as the
workers of one machine would; ``w2`` stands in for a second machine in the retry test, where
``w1`` is killed with a retry pending. Spans go from the pool children to the real OTLP
receiver; Signalpost's log records to a JSON-lines file.
"""

from __future__ import annotations

import gc
import json
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
import redis
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry, generate_latest

import signalpost.celery
from signalpost.serving.metrics import resolve_registry
from tests.otlp_receiver import Received, attributes, otlp_http_receiver
from tests.queues.jobs_listing import check_totals
from tests.queues.redis_server import redis_server
from tests.queues.workers import Worker
from tests.secrets_fixture import SECRETS, assert_no_secret_in
from tests.servers import wait_for

pytestmark = pytest.mark.slow


@dataclass
class Queue:
    app: Any
    tasks: Any
    url: str
    received: Received
    multiproc: Path
    log: Path
    w1: Worker
    w2: Worker
    env: dict[str, str]

    def registry(self) -> CollectorRegistry:
        # What a worker's /metrics serves in multiprocess mode.
        return resolve_registry(environ={"PROMETHEUS_MULTIPROC_DIR": str(self.multiproc)})

    def sample(self, name: str, **labels: str) -> float | None:
        return self.registry().get_sample_value(name, labels)

    def run_spans(self, task_id: str) -> list[Any]:
        return sorted(
            (
                span
                for _, span in self.received.spans()
                if attributes(span.attributes).get("job.id") == task_id
            ),
            key=lambda span: span.start_time_unix_nano,
        )

    def log_records(self, task_id: str) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        records = [json.loads(line) for line in self.log.read_text().splitlines() if line]
        return [r for r in records if task_id in json.dumps(r)]


@pytest.fixture(scope="module")
def queue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Queue]:
    directory = tmp_path_factory.mktemp("celery")
    multiproc = directory / "multiproc"
    multiproc.mkdir()
    log = directory / "signalpost.jsonl"
    with redis_server(directory) as url, otlp_http_receiver() as (endpoint, received):
        from tests.queues import celery_app

        celery_app.app.conf.update(broker_url=url, result_backend=url)
        env = {
            "SIGNALPOST_TEST_BROKER": url,
            "SIGNALPOST_TEST_OTLP": endpoint,
            "SIGNALPOST_TEST_LOG": str(log),
            "PROMETHEUS_MULTIPROC_DIR": str(multiproc),
        }
        w1 = Worker("w1", "default,retryq", env, directory)
        w2 = Worker("w2", "default", env, directory)
        try:
            w1.wait_ready(celery_app.app)
            w2.wait_ready(celery_app.app)
            yield Queue(celery_app.app, celery_app, url, received, multiproc, log, w1, w2, env)
        finally:
            w1.stop()
            w2.stop()
            gc.collect()  # AsyncResult.__del__ talks to the backend: before Redis stops
            celery_app.app.close()


def test_totals_are_exact_across_worker_processes(queue: Queue) -> None:
    results = [queue.tasks.add.delay(i, 1) for i in range(24)]
    values = [result.get(timeout=60) for result in results]
    assert [v[0] for v in values] == [i + 1 for i in range(24)]
    assert len({v[1] for v in values}) == 2  # both workers ran some
    t = "tests.add"
    check_totals(queue.sample, t, 24)
    # No run of the type is running in any live process.
    assert (
        queue.sample("signalpost_job_oldest_running_start_timestamp_seconds", job_type=t)
        == math.inf
    )


def test_the_request_trace_contains_the_task_run_span(queue: Queue) -> None:
    tracer = TracerProvider().get_tracer("request")
    with tracer.start_as_current_span("GET /match") as request_span:
        result = queue.tasks.traced.delay(5)
    assert result.get(timeout=30) == 5
    spans = wait_for(lambda: queue.run_spans(result.id), "the run span")
    (span,) = spans
    context = request_span.get_span_context()
    assert span.trace_id == context.trace_id.to_bytes(16, "big")
    assert span.parent_span_id == context.span_id.to_bytes(8, "big")
    assert span.name == "job tests.traced"
    attrs = attributes(span.attributes)
    assert attrs["job.status"] == "succeeded"
    assert attrs["job.attempt"] == 1
    assert attrs["job.parameters.n"] == 5
    events = [e.name for e in span.events]
    assert "job.progress" in events
    logs = queue.log_records(result.id)
    events = [r["attributes"]["job.event"] for r in logs]
    assert events == ["started", "progress", "succeeded"]
    assert {r["trace_id"] for r in logs} == {format(context.trace_id, "032x")}


def test_a_hung_task_shows_as_stuck_and_cancel_ends_it_cancelled(queue: Queue) -> None:
    client = redis.Redis.from_url(queue.url)
    result = queue.tasks.hang.delay("hung")
    started = float(wait_for(lambda: client.get("hung:started"), "the hung task to start"))
    t = "tests.hang"
    time.sleep(1.5)
    progress = queue.sample("signalpost_job_oldest_progress_timestamp_seconds", job_type=t)
    start = queue.sample("signalpost_job_oldest_running_start_timestamp_seconds", job_type=t)
    assert progress is not None and start is not None
    # The run starts before the task's body notes the time; no progress since the start.
    assert start <= started and progress == start
    assert time.time() - progress >= 1.5  # the age the stuck rule computes
    assert queue.sample("signalpost_job_runs_in_progress", job_type=t) == 1
    text = generate_latest(queue.registry()).decode()
    assert f'signalpost_job_oldest_progress_timestamp_seconds{{job_type="{t}"}}' in text

    signalpost.celery.cancel(queue.app, result.id)
    wait_for(
        lambda: queue.sample(
            "signalpost_job_runs_finished_total", job_type=t, job_status="cancelled"
        ),
        "the run to end cancelled",
    )
    # The worker's main process stores REVOKED; the child records the run: either may be first.
    wait_for(lambda: result.state == "REVOKED", "the task to be revoked")
    assert queue.sample("signalpost_job_runs_in_progress", job_type=t) == 0
    wait_for(
        lambda: (
            queue.sample("signalpost_job_oldest_progress_timestamp_seconds", job_type=t) == math.inf
        ),
        "no hung run left",
    )
    (span,) = wait_for(lambda: queue.run_spans(result.id), "the run span")
    assert attributes(span.attributes)["job.status"] == "cancelled"


def test_scrubbed_arguments_never_appear_in_clear(queue: Queue) -> None:
    result = queue.tasks.leak.delay(password=SECRETS[0].value, notes=[s.text for s in SECRETS])
    with pytest.raises(RuntimeError):
        result.get(timeout=30)
    (span,) = wait_for(lambda: queue.run_spans(result.id), "the run span")
    failed = wait_for(
        lambda: [r for r in queue.log_records(result.id) if "job failed" in json.dumps(r)],
        "the error record",
    )
    attrs = attributes(span.attributes)
    assert "job.parameters.password" in attrs and "job.parameters.notes" in attrs
    assert attrs["error.class"]
    exported = b"".join(t.SerializeToString() for t in queue.received.traces)
    logged = queue.log.read_text()
    exposition = generate_latest(queue.registry()).decode()
    # The workers' own output: Celery's "raised unexpected" line and traceback included.
    # (Celery writes its line and the traceback in one write.)
    stdout = wait_for(
        lambda: (
            (text := "".join(w.log.read_text(errors="replace") for w in (queue.w1, queue.w2)))
            and "raised unexpected" in text
            and text
        ),
        "Celery's error line",
    )
    assert failed and "raised unexpected" in stdout
    assert_no_secret_in(
        otlp_export=exported, json_log=logged, metrics=exposition, worker_stdout=stdout
    )


def test_a_task_s_own_retry_is_recorded_as_a_retry(queue: Queue) -> None:
    result = queue.tasks.own_retry.delay("own")
    assert result.get(timeout=30) == 2
    one, two = wait_for(
        lambda: len(queue.run_spans(result.id)) == 2 and queue.run_spans(result.id),
        "both run spans",
    )
    a1, a2 = attributes(one.attributes), attributes(two.attributes)
    assert (a1["job.attempt"], a1["job.status"], a1["error.type"]) == (
        1,
        "retrying",
        "TimeoutError",
    )
    assert (a2["job.attempt"], a2["job.status"]) == (2, "succeeded")
    t = "tests.own_retry"
    assert queue.sample("signalpost_job_retries_total", job_type=t, error_class="transient") == 1
    assert queue.sample("signalpost_job_runs_started_total", job_type=t) == 1
    assert (
        queue.sample("signalpost_job_runs_finished_total", job_type=t, job_status="succeeded") == 1
    )
    assert (
        queue.sample("signalpost_job_runs_finished_total", job_type=t, job_status="failed") is None
    )


def _stopped(pid: int) -> bool:
    """Whether process ``pid`` is stopped (state ``T`` in ``/proc/<pid>/stat``)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2] == "T"


def test_a_pending_retry_survives_its_worker_and_keeps_its_numbering(queue: Queue) -> None:
    """Last: it kills w1. Only w1 consumes ``retryq`` until then."""
    client = redis.Redis.from_url(queue.url)
    tracer = TracerProvider().get_tracer("request")
    with tracer.start_as_current_span("POST /import") as request_span:
        result = queue.tasks.flaky.apply_async(("flaky", 1), queue="retryq")
    # w1 runs the first try (only w1 consumes retryq), receives the retry the try sends and
    # stops itself there (celery_app's task_received gate): it holds the retry and cannot run it.
    wait_for(lambda: _stopped(queue.w1.process.pid), "w1 to hold the retry, stopped")
    queue.w1.kill()  # SIGKILL, with the retry (countdown 2 s) held by w1
    queue.app.control.add_consumer("retryq", destination=[queue.w2.hostname], reply=True)
    # A worker starting (w1 restarted, or a new machine) hands the held message back to the
    # queue once its visibility timeout (3 s) has passed; w2 executes it. The sleep is a lower
    # bound (w1 received the message before this point), not a race.
    time.sleep(3.5)
    w3 = Worker("w3", "default", queue.env, queue.multiproc.parent)
    try:
        w3.wait_ready(queue.app)
        assert result.get(timeout=45) == 2
    finally:
        w3.stop()
    workers = cast(list[bytes], client.lrange("flaky:workers", 0, -1))
    first, second = (int(pid) for pid in workers)
    assert first == queue.w1.process.pid and second == queue.w2.process.pid  # not w3

    spans = wait_for(
        lambda: len(queue.run_spans(result.id)) == 2 and queue.run_spans(result.id),
        "both run spans",
    )
    one, two = spans
    trace_id = request_span.get_span_context().trace_id.to_bytes(16, "big")
    assert one.trace_id == two.trace_id == trace_id
    assert one.parent_span_id == request_span.get_span_context().span_id.to_bytes(8, "big")
    assert two.parent_span_id == one.span_id  # the retry continues the first delivery's span
    a1, a2 = attributes(one.attributes), attributes(two.attributes)
    assert (a1["job.attempt"], a1["job.status"], a1["error.class"]) == (1, "retrying", "transient")
    assert (a2["job.attempt"], a2["job.status"]) == (2, "succeeded")
    t = "tests.flaky"
    assert queue.sample("signalpost_job_retries_total", job_type=t, error_class="transient") == 1
    assert queue.sample("signalpost_job_attempts_total", job_type=t, error_class="transient") == 1
    assert queue.sample("signalpost_job_runs_started_total", job_type=t) == 1
    assert (
        queue.sample("signalpost_job_runs_finished_total", job_type=t, job_status="succeeded") == 1
    )
