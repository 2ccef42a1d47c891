"""A killed prefork pool child leaves no live gauges behind: its run in progress and its
stuck-looking oldest-progress time disappear (no false JobStuck), the other child's stay.

A real worker (two pool children) in multiprocess mode: one child runs a hung task, the other
a task held at a gate; the hung task's child is SIGKILLed, so it runs no shutdown hook of its
own, and only the worker's main process can mark it dead.
"""

from __future__ import annotations

import gc
import math
import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from celery import Celery
from prometheus_client import CollectorRegistry

from signalpost.serving.metrics import resolve_registry
from tests.queues.redis_server import redis_server
from tests.queues.workers import Worker
from tests.servers import wait_for

pytestmark = pytest.mark.slow

IN_PROGRESS = "signalpost_job_runs_in_progress"
OLDEST_PROGRESS = "signalpost_job_oldest_progress_timestamp_seconds"
OLDEST_START = "signalpost_job_oldest_running_start_timestamp_seconds"


@dataclass
class Setup:
    client: Celery
    url: str
    multiproc: Path
    directory: Path

    def registry(self) -> CollectorRegistry:
        # What the worker's /metrics serves in multiprocess mode.
        return resolve_registry(environ={"PROMETHEUS_MULTIPROC_DIR": str(self.multiproc)})

    def sample(self, name: str, job_type: str) -> float | None:
        return self.registry().get_sample_value(name, {"job_type": job_type})


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    directory = tmp_path_factory.mktemp("celery-pool")
    multiproc = directory / "multiproc"
    multiproc.mkdir()
    with redis_server(directory) as url:
        # A client app of this module's own: the shared test app keeps producer pools bound to
        # the broker of the module that used it before, and would retry that dead broker.
        client = Celery("pool-test-client", broker=url, backend=url)
        client.conf.update(task_default_queue="default", task_serializer="json",
                           accept_content=["json"], result_serializer="json")
        env = {"SIGNALPOST_TEST_BROKER": url, "PROMETHEUS_MULTIPROC_DIR": str(multiproc)}
        worker = Worker("pool", "default", env, directory)
        try:
            worker.wait_ready(client)
            yield Setup(client, url, multiproc, directory)
        finally:
            worker.stop()
            gc.collect()  # AsyncResult.__del__ talks to the backend: before Redis stops
            client.close()


def test_a_killed_pool_child_s_gauges_go_and_the_other_child_s_stay(setup: Setup) -> None:
    client = redis.Redis.from_url(setup.url)
    hung = setup.client.send_task("tests.hang", args=["killed"])
    pid = int(wait_for(lambda: client.get("killed:pid"), "the hung task to start"))
    gate = setup.directory / "gate"
    held = setup.client.send_task("tests.slow", args=[1, 0.0, str(gate)])
    wait_for(lambda: setup.sample(IN_PROGRESS, "tests.slow") == 1, "the held task to run")

    # Before: the hung run counts as running, with a progress time that only ages.
    assert setup.sample(IN_PROGRESS, "tests.hang") == 1
    stuck_since = setup.sample(OLDEST_PROGRESS, "tests.hang")
    assert stuck_since is not None and math.isfinite(stuck_since)
    assert list(setup.multiproc.glob(f"gauge_live*_{pid}.db"))

    os.kill(pid, signal.SIGKILL)
    wait_for(
        lambda: not list(setup.multiproc.glob(f"gauge_live*_{pid}.db")),
        "the main process to mark the killed child dead",
    )
    assert setup.sample(IN_PROGRESS, "tests.hang") in (None, 0)
    assert setup.sample(OLDEST_PROGRESS, "tests.hang") in (None, math.inf)
    # The other child is alive and still running its task: its gauges stay.
    assert setup.sample(IN_PROGRESS, "tests.slow") == 1
    start = setup.sample(OLDEST_START, "tests.slow")
    assert start is not None and math.isfinite(start)

    gate.touch()
    assert isinstance(held.get(timeout=60), int)
    wait_for(lambda: setup.sample(IN_PROGRESS, "tests.slow") == 0, "the held task to end")
    hung.forget()
