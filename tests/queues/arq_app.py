"""The arq worker the queue tests run in real worker processes.

``python -m arq tests.queues.arq_app.WorkerSettings``, set up the way a user's worker is:
``signalpost.setup()`` without an app, from the environment (``SIGNALPOST_METRICS_PORT`` serves
``/metrics`` and ``/jobs``, ``OTEL_EXPORTER_OTLP_ENDPOINT`` the test's receiver, JSON logs on
stdout). Also read: ``ARQ_TEST_BROKER`` (Redis URL), ``ARQ_TEST_QUEUE``
(queue name), ``ARQ_TEST_LOG`` (a file that also gets the JSON lines of
Signalpost's loggers) and ``ARQ_TEST_ONE_JOB`` (``1``: run one job, then leave, as a machine
that goes away: arq's burst mode).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

from arq.connections import ArqRedis, RedisSettings

import signalpost
import signalpost.arq
from signalpost.errors.scrub import default_scrubber
from signalpost.integrations import ProgressSettings
from signalpost.jobs import RetryPolicy, current_run
from signalpost.logcontext import CorrelationFilter
from signalpost.sdk.jsonlog import JsonFormatter

BROKER = os.environ.get("ARQ_TEST_BROKER", "redis://127.0.0.1:1/0")


async def slow(ctx: dict[str, Any], steps: int, pause: float, gate: str | None = None) -> int:
    """Report progress step by step (the password in the message is scrubbed before it
    leaves the worker); say which worker ran it. With a ``gate`` (a file path), hold the last
    step until that file exists, so the test's checks never race the run's end (make the steps
    outlast any wait: once the gate exists the remaining ones run without their pause)."""
    run = current_run()
    for i in range(steps):
        run.progress(i, steps, f"step {i} password=hunter2-{os.getpid()}")
        if gate is None or not os.path.exists(gate):  # released: the remaining steps at once
            await asyncio.sleep(pause)
    while gate is not None and not os.path.exists(gate):
        await asyncio.sleep(0.05)
    run.progress(steps, steps)
    return os.getpid()


BOTH_WORKERS = 4  # runs at once that need both workers (max_jobs = 2 each)


async def add(ctx: dict[str, Any], x: int, y: int) -> list[int]:
    """Add; say which worker did it. The first runs wait until ``BOTH_WORKERS`` of them have
    started, which only both workers together can do: both get some, however slow one is."""
    current_run().progress(1, 1)
    pool: ArqRedis = ctx["redis"]
    if int(await pool.incr("add:arrived")) <= BOTH_WORKERS:
        deadline = time.monotonic() + 60
        while int(await pool.get("add:arrived") or 0) < BOTH_WORKERS:
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.02)
    return [x + y, os.getpid()]


async def flaky(ctx: dict[str, Any], key: str, fail_times: int) -> int:
    """Fail with a transient error ``fail_times`` times, then succeed; note who ran each try."""
    pool: ArqRedis = ctx["redis"]
    count = int(await pool.incr(f"{key}:count"))
    await pool.rpush(f"{key}:workers", os.getpid())  # type: ignore[misc]
    if count <= fail_times:
        raise ConnectionError("upstream refused the connection")
    return count


async def hang(ctx: dict[str, Any], key: str) -> str:
    """Report nothing and never end (until cancelled): a hung job."""
    pool: ArqRedis = ctx["redis"]
    await pool.set(f"{key}:started", repr(time.time()))
    await asyncio.sleep(120)
    return "woke"


async def hang_once(ctx: dict[str, Any], key: str) -> int:
    """Hang (no progress) on the first run of ``key`` until cancelled; succeed on the next:
    a stuck job that a retry cures."""
    pool: ArqRedis = ctx["redis"]
    count = int(await pool.incr(f"{key}:count"))
    if count == 1:
        await pool.set(f"{key}:started", repr(time.time()))
        await asyncio.sleep(120)
    current_run().progress(1, 1)
    return count


async def leak(ctx: dict[str, Any], password: str, notes: list[str]) -> None:
    """Fail with secrets in the arguments and in the error message."""
    current_run().add_context(api_key=password)
    raise RuntimeError("could not log in: " + "; ".join(notes))


FLAKY_POLICY = RetryPolicy(max_attempts=3, base_delay=3.0, max_delay=3.0, jitter=0.0)

telemetry = signalpost.setup()
_path = os.environ.get("ARQ_TEST_LOG")
if _path:
    _handler = logging.FileHandler(_path)
    _handler.setFormatter(JsonFormatter("arq-worker", default_scrubber))
    _handler.addFilter(CorrelationFilter())
    logging.getLogger("signalpost").addHandler(_handler)
    logging.getLogger("signalpost").setLevel(logging.INFO)


class WorkerSettings:
    redis_settings = RedisSettings.from_dsn(BROKER)
    functions = signalpost.arq.monitored_functions(
        [slow, add, flaky, hang, hang_once, leak],
        policies={"flaky": FLAKY_POLICY},
        progress=ProgressSettings(publish_interval=0.2),
    )
    queue_name = os.environ.get("ARQ_TEST_QUEUE", "arq:queue")
    allow_abort_jobs = True
    poll_delay = 0.1
    max_jobs = 2  # so that jobs spread over both workers
    # A worker that must never run a retry it scheduled (it leaves before the back-off ends).
    burst = os.environ.get("ARQ_TEST_ONE_JOB") == "1"
    max_burst_jobs = 1 if burst else -1
