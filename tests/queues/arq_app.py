"""The arq worker the running-jobs test runs in real worker processes.

``python -m arq tests.queues.arq_app.WorkerSettings`` with ``SIGNALPOST_TEST_BROKER`` (Redis
URL) and ``SIGNALPOST_TEST_LOG`` (a file for the JSON lines of Signalpost's loggers).
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from arq.connections import RedisSettings
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

import signalpost.arq
from signalpost.exporters.jsonlog import JsonFormatter
from signalpost.instrumentation.jobs import current_run
from signalpost.instrumentation.logcontext import CorrelationFilter
from signalpost.instrumentation.scrub import default_scrubber

BROKER = os.environ.get("SIGNALPOST_TEST_BROKER", "redis://127.0.0.1:1/0")


async def slow(ctx: dict[str, Any], steps: int, pause: float) -> int:
    """Report progress step by step (the password in the message is scrubbed before it
    leaves the worker); say which worker ran it."""
    run = current_run()
    for i in range(steps):
        run.progress(i, steps, f"step {i} password=hunter2-{os.getpid()}")
        await asyncio.sleep(pause)
    run.progress(steps, steps)
    return os.getpid()


def _telemetry() -> None:
    # Recording spans (no exporter), so that the runs carry the enqueuing request's trace ID.
    trace.set_tracer_provider(TracerProvider())
    path = os.environ.get("SIGNALPOST_TEST_LOG")
    if path:
        handler = logging.FileHandler(path)
        handler.setFormatter(JsonFormatter("arq-worker", default_scrubber))
        handler.addFilter(CorrelationFilter())
        logger = logging.getLogger("signalpost")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


_telemetry()


class WorkerSettings:
    redis_settings = RedisSettings.from_dsn(BROKER)
    functions = signalpost.arq.monitored_functions([slow], publish_interval=0.2)
    queue_name = os.environ.get("SIGNALPOST_TEST_ARQ_QUEUE", "arq:queue")
    allow_abort_jobs = True
    poll_delay = 0.1
    max_jobs = 2  # so that four jobs spread over both workers
