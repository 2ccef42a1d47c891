"""Celery: the wait before each run (the enqueue time in the message headers) and the backlog
read from the Redis broker, with a real prefork worker started once the messages wait."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery
from prometheus_client import CollectorRegistry

import signalpost.celery
from signalpost.integrations.celery.waiting import stamp_enqueued
from signalpost.jobs import watch_backlog
from signalpost.jobs.backlog_redis import UNSCANNED
from signalpost.jobs.propagation import ENQUEUED_AT_HEADER
from signalpost.semconv import jobs as spec
from signalpost.serving.metrics import resolve_registry
from tests.queues.redis_server import redis_server
from tests.queues.workers import Worker

pytestmark = pytest.mark.slow

QUEUE = "backlogq"
TASK = "tests.add"


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Celery]]:
    """A Redis broker and a client app of its own (the shared test app's connections may
    point at the Redis of another test module); importing the test app instruments Celery's
    publish signal, which stamps the enqueue time."""
    from tests.queues import celery_app  # noqa: F401

    directory = tmp_path_factory.mktemp("celery-backlog")
    with redis_server(directory) as url:
        client = Celery("backlog-test-client", broker=url, backend=url)
        client.conf.update(
            task_serializer="json",
            accept_content=["json"],
            result_serializer="json",
            task_default_queue="default",
        )
        try:
            yield url, directory, client
        finally:
            gc.collect()  # AsyncResult.__del__ talks to the backend: before Redis stops
            client.close()


def test_a_message_is_stamped_with_its_due_time() -> None:
    headers: dict[str, Any] = {"eta": None}
    before = time.time()
    stamp_enqueued(headers=headers)
    assert before <= headers[ENQUEUED_AT_HEADER] <= time.time()
    # A countdown or a retry's back-off: the message waits from its ETA on.
    eta = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    headers = {"eta": eta.isoformat(), ENQUEUED_AT_HEADER: 1.0}
    stamp_enqueued(headers=headers)
    assert headers[ENQUEUED_AT_HEADER] == eta.timestamp()


def test_backlog_while_no_worker_consumes_then_the_waits_once_one_does(
    broker: tuple[str, Path, Celery],
) -> None:
    url, directory, app = broker
    before = time.time()
    results = [app.send_task(TASK, (n, 1), queue=QUEUE) for n in range(3)]
    enqueued = time.time()
    later = enqueued + 100.0
    reader = signalpost.celery.backlog(app, [QUEUE])
    backlog = CollectorRegistry()
    watch_backlog(reader, registry=backlog, clock=lambda: later)
    labels = {"job_type": TASK, "job_queue": QUEUE}
    assert backlog.get_sample_value(spec.WAITING.name, labels) == 3
    age = backlog.get_sample_value(spec.OLDEST_WAITING_AGE.name, labels)
    assert age is not None and 100.0 <= age <= later - before
    # Past the scanned messages, the count stays exact under _unscanned.
    narrow = signalpost.celery.backlog(app, [QUEUE], scan=1)
    rows = {(row.job_type, row.waiting) for row in narrow()}
    assert rows == {(TASK, 1), (UNSCANNED, 2)}
    narrow.close()

    # tests.add holds its first runs until two workers share them; one worker runs here.
    from tests.queues.celery_app import BOTH_WORKERS

    redis.Redis.from_url(url).set("add:arrived", BOTH_WORKERS)
    multiproc = directory / "multiproc"
    multiproc.mkdir()
    worker_started = time.time()
    worker = Worker("wb", QUEUE, {"SIGNALPOST_TEST_BROKER": url,
                                   "PROMETHEUS_MULTIPROC_DIR": str(multiproc)}, directory)
    try:
        # Ready first (a prefork worker boots slowly on a busy machine), then the results.
        worker.wait_ready(app, timeout=120)
        assert [r.get(timeout=120)[0] for r in results] == [1, 2, 3]
        # A retry through the broker (2 s back-off): its message waits from its ETA on.
        flaky_task = app.send_task("tests.flaky", ("backlog-flaky", 1), queue=QUEUE)
        assert flaky_task.get(timeout=120) == 2
    finally:
        worker.stop()
    served = resolve_registry(environ={"PROMETHEUS_MULTIPROC_DIR": str(multiproc)})
    name = spec.WAIT_DURATION.name
    assert served.get_sample_value(f"{name}_count", labels) == 3
    total = served.get_sample_value(f"{name}_sum", labels)
    assert total is not None and total >= 3 * (worker_started - enqueued)
    flaky = {"job_type": "tests.flaky", "job_queue": QUEUE}
    assert served.get_sample_value(f"{name}_count", flaky) == 2
    retried = served.get_sample_value(f"{name}_sum", flaky)
    from tests.queues.celery_app import FLAKY_POLICY

    back_off = FLAKY_POLICY.base_delay
    assert retried is not None and retried < back_off  # the back-off is not waiting
    # The queue is empty again: the type stays reported, at 0.
    assert backlog.get_sample_value(spec.WAITING.name, labels) == 0
    assert backlog.get_sample_value(spec.OLDEST_WAITING_AGE.name, labels) == 0
    reader.close()


def test_only_redis_brokers_are_read() -> None:
    other = Celery("amqp_app", broker="amqp://guest@127.0.0.1//")
    with pytest.raises(ValueError, match="'amqp' needs a source of your own"):
        signalpost.celery.backlog(other)
