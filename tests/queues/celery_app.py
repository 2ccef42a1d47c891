# mypy: disallow-untyped-decorators=False
"""The Celery app the queue tests run in real worker processes (``celery -A ...``).

Configured from the environment: ``SIGNALPOST_TEST_BROKER`` (Redis URL),
``SIGNALPOST_TEST_OTLP`` (OTLP/HTTP endpoint of the test receiver) and ``SIGNALPOST_TEST_LOG``
(a file for the JSON lines of Signalpost's loggers). Each pool child exports its spans and logs
there once forked (``worker_process_init``).
"""

from __future__ import annotations

import logging
import os
import signal
import time
from typing import Any, cast

import redis
from celery import Celery, signals

import signalpost.celery
from signalpost.integrations import ProgressSettings
from signalpost.jobs import RetryPolicy, current_run

BROKER = os.environ.get("SIGNALPOST_TEST_BROKER", "redis://127.0.0.1:1/0")

app = Celery("signalpost_tests", broker=BROKER, backend=BROKER)
app.conf.update(
    task_serializer="json",
    accept_content=["json"],
    result_serializer="json",
    worker_prefetch_multiplier=1,
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
    task_default_queue="default",
    # A message held by a worker that died is handed to another after 3 s, checked every 1 s.
    broker_transport_options={
        "visibility_timeout": 3,
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    },
)

FLAKY_POLICY = RetryPolicy(max_attempts=3, base_delay=2.0, max_delay=2.0, jitter=0.0)

instrumentation = signalpost.celery.instrument(
    app,
    policies={"tests.flaky": FLAKY_POLICY},
    progress=ProgressSettings(interval=0.0),
)


def _redis() -> redis.Redis:
    return redis.Redis.from_url(BROKER)


BOTH_WORKERS = 4  # runs at once that need both workers (two pool children each)


def _arrived(client: redis.Redis) -> int:
    return int(cast(bytes | None, client.get("add:arrived")) or 0)


@app.task(name="tests.add")
def add(x: int, y: int) -> list[int]:
    """Add; say which worker did it. The first runs wait until ``BOTH_WORKERS`` of them have
    started, which only both workers together can do: both get some, however slow one is."""
    current_run().progress(1, 1)
    client = _redis()
    if cast(int, client.incr("add:arrived")) <= BOTH_WORKERS:
        deadline = time.monotonic() + 60
        while _arrived(client) < BOTH_WORKERS and time.monotonic() < deadline:
            time.sleep(0.02)
    return [x + y, os.getppid()]


@app.task(name="tests.traced")
def traced(n: int) -> int:
    current_run().progress(n, n)
    return n


@app.task(name="tests.flaky")
def flaky(key: str, fail_times: int) -> int:
    """Fail with a transient error ``fail_times`` times, then succeed; note who ran each try."""
    client = _redis()
    count = cast(int, client.incr(f"{key}:count"))
    client.rpush(f"{key}:workers", os.getppid())
    if count <= fail_times:
        raise ConnectionError("upstream refused the connection")
    return count


@app.task(name="tests.own_retry", bind=True, max_retries=3)
def own_retry(self: Any, key: str) -> int:
    """Retry itself once through Celery's own self.retry()."""
    count = cast(int, _redis().incr(f"{key}:count"))
    if count == 1:
        raise self.retry(exc=TimeoutError("upstream timed out"), countdown=0.5)
    return count


@app.task(name="tests.hang")
def hang(key: str) -> str:
    """Report nothing and never end (until cancelled): a hung job. Says which pool child runs
    it (``{key}:pid``)."""
    _redis().set(f"{key}:pid", os.getpid())
    _redis().set(f"{key}:started", time.time())
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        time.sleep(0.1)
    return "woke"


@app.task(name="tests.slow")
def slow(steps: int, pause: float, gate: str | None = None) -> int:
    """Report progress step by step (the password in the message is scrubbed before it
    leaves the worker); say which worker ran it. With a ``gate`` (a file path), hold the last
    step until that file exists, so the test's checks never race the run's end (make the steps
    outlast any wait: once the gate exists the remaining ones run without their pause)."""
    run = current_run()
    for i in range(steps):
        run.progress(i, steps, f"step {i} password=hunter2-{os.getppid()}")
        if gate is None or not os.path.exists(gate):  # released: the remaining steps at once
            time.sleep(pause)
    while gate is not None and not os.path.exists(gate):
        time.sleep(0.05)
    run.progress(steps, steps)
    return os.getppid()


@app.task(name="tests.leak")
def leak(password: str, notes: list[str]) -> None:
    """Fail with secrets in the arguments and in the error message."""
    current_run().add_context(api_key=password)
    raise RuntimeError("could not log in: " + "; ".join(notes))


@signals.task_received.connect
def _w1_freezes_on_holding_a_retry(request: Any, **_: Any) -> None:
    """The gate of the retry test: ``w1``'s main process stops itself (SIGSTOP) the moment it
    receives the pending retry of ``tests.flaky``, so it holds the message (unacknowledged, with
    its countdown) but can never run it, however late the test gets to kill it."""
    hostname = str(getattr(request, "hostname", "") or "")
    if request.name == "tests.flaky" and request.eta is not None and hostname.startswith("w1@"):
        os.kill(os.getpid(), signal.SIGSTOP)


@signals.worker_process_init.connect
def _child_telemetry(**_: Any) -> None:
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    from signalpost.errors.scrub import default_scrubber
    from signalpost.logcontext import CorrelationFilter
    from signalpost.sdk.jsonlog import JsonFormatter

    endpoint = os.environ.get("SIGNALPOST_TEST_OTLP")
    if endpoint:
        provider = TracerProvider(resource=Resource.create({"service.name": "celery-worker"}))
        provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(f"{endpoint}/v1/traces")))
        trace.set_tracer_provider(provider)
    path = os.environ.get("SIGNALPOST_TEST_LOG")
    if path:
        handler = logging.FileHandler(path)
        handler.setFormatter(JsonFormatter("celery-worker", default_scrubber))
        handler.addFilter(CorrelationFilter())  # trace and span IDs, as signalpost.setup() does
        logger = logging.getLogger("signalpost")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


@app.task(name="tests.hang_once")
def hang_once(key: str) -> int:
    """Hang (no progress) on the first run of ``key`` until cancelled; succeed on the next:
    a stuck job that a retry cures."""
    client = _redis()
    count = cast(int, client.incr(f"{key}:count"))
    if count == 1:
        client.set(f"{key}:started", time.time())
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            time.sleep(0.1)
    current_run().progress(1, 1)
    return count


@app.task(name="tests.db_write")
def db_write(conninfo: str, key: str) -> str:
    """Write ``key`` to the ``writes`` table: fails with a transient error (psycopg's
    OperationalError) while the database is down."""
    import psycopg

    with psycopg.connect(conninfo, connect_timeout=2) as conn:
        conn.execute("INSERT INTO writes (key) VALUES (%s)", (key,))
    return key
