"""Celery integration overhead: a task executed by Celery's own tracer, monitored or not.

Run: ``.venv/bin/python bench/bench_celery.py [--quick]``

Budget (issue 14): at most 150 µs per task beside Celery's own cost. Both sides run the same
function through ``task.apply()``, which is what a worker's pool child does with a message
(Celery's tracer: request context, the prerun/postrun/success signals, state handling), minus
the broker round trip. The monitored side has ``signalpost.celery.instrument`` (tracing with
the real SDK ``TracerProvider`` and a batch processor, metrics in a fresh registry, the
``signalpost.jobs`` logger at INFO into a discarding handler). Rounds are interleaved and the
best round of each side is reported (see bench_jobs.py). Also reported: Celery's own cost of
one ``apply_async`` to the in-memory broker, and what the trace-context injection adds to it
inside a request span. Exit status 1 if the budget fails.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

from celery import Celery
from prometheus_client import CollectorRegistry

import signalpost.celery
from signalpost.jobs import RunningJobs
from signalpost.runtime import Runtime

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.bench_jobs import interleaved, make_provider, setup_logging

TASK_BUDGET_US = 150.0


def make_app(name: str) -> Celery:
    app = Celery(name, broker="memory://")
    app.conf.update(task_serializer="json", accept_content=["json"], task_store_eager_result=False)
    return app


def work(x: int) -> int:
    return sum(range(x))


def publish_cost(
    app: Celery, n: int, rounds: int, inside: Callable[[], AbstractContextManager[object]]
) -> float:
    task = app.tasks["bench.work"]
    best: list[float] = []
    for _ in range(rounds):
        with inside():
            start = time.perf_counter()
            for _ in range(n):
                task.apply_async((20,))
            best.append((time.perf_counter() - start) / n * 1e6)
    return min(best)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    args = parser.parse_args(argv)
    n, rounds = (300, 5) if args.quick else (2000, 9)
    setup_logging()
    provider = make_provider()

    bare_app, monitored_app = make_app("bare"), make_app("monitored")
    bare_task = bare_app.task(name="bench.work")(work)
    monitored_task = monitored_app.task(name="bench.work")(work)
    bare_app.finalize()
    monitored_app.finalize()

    bare_before, _ = interleaved(lambda: bare_task.apply((20,)), lambda: None, n, rounds)
    def request() -> AbstractContextManager[object]:
        return provider.get_tracer("bench").start_as_current_span("request")

    publish_bare = publish_cost(bare_app, n, rounds, request)

    signalpost.celery.instrument(
        monitored_app,
        runtime=Runtime(
            registry=CollectorRegistry(), tracer_provider=provider, running=RunningJobs()
        ),
    )
    bare_us, monitored_us = interleaved(
        lambda: bare_task.apply((20,)), lambda: monitored_task.apply((20,)), n, rounds
    )
    publish_traced = publish_cost(monitored_app, n, rounds, request)
    overhead = monitored_us - bare_us
    print(f"celery's own cost, task.apply():        {bare_us:8.1f} us/task")
    print(f"  (measured alone, before instrument:    {bare_before:8.1f} us/task)")
    print(f"monitored task.apply():                 {monitored_us:8.1f} us/task")
    print(f"overhead per task:                      {overhead:8.1f} us")
    print(f"  budget:                               {TASK_BUDGET_US:8.0f} us")
    print(f"celery's own apply_async (memory):      {publish_bare:8.1f} us/message")
    print(f"apply_async with trace-context headers: {publish_traced:8.1f} us/message")
    ok = overhead <= TASK_BUDGET_US
    print("PASS" if ok else "FAIL")
    provider.shutdown()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
