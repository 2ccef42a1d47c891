"""``cancel_stuck_jobs`` end to end with real workers: a job hangs on a real Celery (prefork) or
arq worker; the JobStuck alert reaches the runner through a real Alertmanager; the runner
cancels the run through the web app's authenticated ``POST /jobs/{id}/cancel`` and hands the
task back to its queue, where the retry succeeds; the alert resolves and the runner records it
verified. The shipped rule, its window scaled from 90 s to 20 s."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import cast

import pytest
import redis
from celery import Celery

from alertmanager.recovery.procedures.jobs import (
    ArqRequeue,
    CancelStuckJobs,
    CeleryRequeue,
    Requeue,
)
from tests.alertmanager.recovery.harness import recovery_stack
from tests.alertmanager.recovery.stuck import StuckRule
from tests.alertmanager.recovery.test_breaker import shipped
from tests.queues.jobs_listing import TOKEN, WEB_CREDENTIALS, JobsClient
from tests.queues.redis_server import redis_server
from tests.queues.test_arq_jobs import ArqWorker
from tests.servers import free_port, serve, uvicorn_command, wait_for

pytestmark = pytest.mark.slow
STUCK_AFTER = 1.0  # seconds without progress (the demo's threshold is minutes)


def _recover(database: str, tmp_path: Path, service: str, job_type: str, web_url: str,
             requeue: Requeue, enqueue_hang: Callable[[], object]) -> tuple[float, str]:
    """Hang one job, let the runner recover it; returns (alert start, re-enqueued ID)."""
    procedure = CancelStuckJobs({service: f"{web_url}/jobs"}, TOKEN, requeue,
                                stuck_after=STUCK_AFTER)
    config = shipped("stuck-jobs", verify_within="20s")
    labels = {"alertname": "JobStuck", "severity": "warning", "service": service,
              "job_type": job_type}
    with recovery_stack(database, config, {"cancel_stuck_jobs": procedure}, tmp_path) as stack:
        rule = StuckRule(JobsClient(web_url), stack.am, labels, STUCK_AFTER)
        try:
            enqueue_hang()
            wait_for(lambda: "verified" in stack.decisions(service), "the recovery verified",
                     timeout=45)
        finally:
            rule.stop()
        rows = stack.rows(service)
        assert [r["decision"] for r in rows] == ["acted", "verified"]
        acted = rows[0]["detail"]
        assert re.fullmatch(r"cancelled \S+ \(\d+ s without progress\), re-enqueued as \S+",
                            acted), acted
        assert rows[1]["seconds"] < 20
        return rule.started or 0.0, acted.rsplit(" ", 1)[1]


def test_a_stuck_celery_task_is_cancelled_and_retried(
    database: str, tmp_path: Path, celery_stack: tuple[str, Celery]
) -> None:
    web_url, client = celery_stack
    broker = redis.Redis.from_url(client.conf.broker_url)
    hung: list[str] = []
    started, new_id = _recover(
        database, tmp_path, "svc-celery", "tests.hang_once", web_url, CeleryRequeue(client),
        lambda: hung.append(client.send_task("tests.hang_once", ("celery-stuck",)).id),
    )
    # The retry ran, and succeeded (read from the backend: no AsyncResult freed late).
    retried = wait_for(lambda: (meta := client.backend.get_task_meta(new_id))["status"]
                       == "SUCCESS" and meta, "the retry to succeed")
    assert retried["result"] == 2
    recovered = time.time()
    assert client.backend.get_task_meta(hung[0])["status"] == "REVOKED"
    fault = float(cast(bytes | None, broker.get("celery-stuck:started")) or 0)
    print(f"celery: stuck {started - fault:.1f} s after the fault (threshold {STUCK_AFTER} s), "
          f"recovered {recovered - fault:.1f} s after the fault")
    assert recovered - fault < 120


@pytest.fixture(scope="module")
def arq_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    directory = tmp_path_factory.mktemp("recovery-arq")
    with redis_server(directory) as url:
        worker = ArqWorker("raw1", {"ARQ_TEST_BROKER": url}, directory)
        port = free_port()
        try:
            worker.wait_ready()
            with serve(uvicorn_command("tests.queues.arq_web:app", port),
                       f"http://127.0.0.1:{port}", directory / "web.log",
                       env={"JOBS_WEB_BROKER": url, **WEB_CREDENTIALS}) as web:
                yield web.base_url, url
        finally:
            worker.stop()


def test_a_stuck_arq_job_is_cancelled_and_retried(
    database: str, tmp_path: Path, arq_stack: tuple[str, str]
) -> None:
    web_url, url = arq_stack
    requeue = ArqRequeue(url)
    broker = redis.Redis.from_url(url)

    def hang() -> None:
        import asyncio

        from arq.connections import RedisSettings, create_pool

        async def enqueue() -> None:
            pool = await create_pool(RedisSettings.from_dsn(url))
            await pool.enqueue_job("hang_once", "arq-stuck")
            await pool.aclose()

        asyncio.run(enqueue())

    started, new_id = _recover(database, tmp_path, "svc-arq", "hang_once", web_url,
                       requeue, hang)
    wait_for(lambda: int(cast(bytes | None, broker.get("arq-stuck:count")) or 0) == 2, "the retry to run")
    result = wait_for(lambda: broker.exists(f"arq:result:{new_id}"), "the retry's result")
    assert result
    recovered = time.time()
    fault = float(cast(bytes | None, broker.get("arq-stuck:started")) or 0)
    print(f"arq: stuck {started - fault:.1f} s after the fault (threshold {STUCK_AFTER} s), "
          f"recovered {recovered - fault:.1f} s after the fault")
    assert recovered - fault < 120
