"""arq integration overhead: one job function, monitored by ``signalpost.arq`` or not.

Run: ``.venv/bin/python bench/bench_arq.py [--quick]`` (needs ``redis-server``, installed by
``scripts/bootstrap.sh``).

Budget (issue 14): at most 150 µs per job beside arq's own cost. Three sides run the same
``async def work(ctx, x)``: plain (``arq.worker.func``), monitored by
``signalpost.arq.monitored_functions`` with the default ``publish_interval`` (1 s: the worker
publishes its runs in progress to Redis) and monitored with ``publish_interval=None``. Monitoring
uses the real SDK ``TracerProvider`` with a batch processor, metrics in a fresh registry and the
``signalpost.jobs`` logger at INFO into a discarding handler (see bench_jobs.py). Two levels:

* direct: ``await function.coroutine(ctx, 20)`` with a fresh ctx per job as arq's worker builds
  it (``job_id``, ``job_try``, ``enqueue_time``, ``score``, ``redis`` = a real ``ArqRedis``): the
  wrapper's own cost, no Redis round trip (the publisher only starts its task);
* worker: N jobs enqueued beforehand (not timed), then a real arq ``Worker`` in burst mode
  (``poll_delay=0``, default ``max_jobs``) runs them all against a real redis-server; µs per job
  is arq's own cost (plain side) and the overhead beside it (the budget applies here).

Rounds alternate the sides (plain, monitored, monitored without publisher, plain, ...) and the
best round of each side is reported, as bench_jobs.interleaved does: slower rounds measure other
processes on a shared machine. Exit status 1 if the budget fails.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.worker import Function, Worker, func
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry

import signalpost.arq
from signalpost.instrumentation.jobs import RunningJobs

if __package__ in (None, ""):  # run as a script: make ``bench`` and ``tests`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.bench_jobs import make_provider, setup_logging
from tests.queues.redis_server import redis_server

JOB_BUDGET_US = 150.0
SIDES = ("plain", "monitored", "no-publisher")


async def work(ctx: dict[str, Any], x: int) -> int:
    return sum(range(x))


def make_functions(provider: TracerProvider) -> dict[str, Function]:
    """One ``work`` function per side, each monitored one with its own registry."""

    def monitored(publish_interval: float | None) -> Function:
        (function,) = signalpost.arq.monitored_functions(
            [work],
            publish_interval=publish_interval,
            registry=CollectorRegistry(),
            tracer_provider=provider,
            running=RunningJobs(),
        )
        return function

    return {"plain": func(work), "monitored": monitored(1.0), "no-publisher": monitored(None)}


async def interleaved_rounds(
    sides: Mapping[str, Callable[[], Awaitable[float]]], rounds: int
) -> dict[str, float]:
    """Run one round of each side in turn, ``rounds`` times; return each side's best µs/job."""
    results: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, one_round in sides.items():
            results[name].append(await one_round())
    return {name: min(values) for name, values in results.items()}


def direct_round(function: Function, pool: ArqRedis, n: int) -> Callable[[], Awaitable[float]]:
    coroutine = function.coroutine

    async def one_round() -> float:
        start = time.perf_counter()
        for i in range(n):
            ctx = {
                "redis": pool,
                "job_id": uuid.uuid4().hex,
                "job_try": 1,
                "enqueue_time": datetime.now(UTC),
                "score": i,
            }
            await coroutine(ctx, 20)
        elapsed = time.perf_counter() - start
        await asyncio.sleep(0.01)  # let the publisher's task flush outside the timing
        return elapsed / n * 1e6

    return one_round


def worker_round(function: Function, pool: ArqRedis, n: int) -> Callable[[], Awaitable[float]]:
    async def one_round() -> float:
        await pool.flushdb()
        for _ in range(n):
            await pool.enqueue_job("work", 20)
        worker = Worker(
            functions=[function],
            redis_pool=pool,
            burst=True,
            poll_delay=0,
            handle_signals=False,
        )
        start = time.perf_counter()
        done = await worker.run_check()
        elapsed = time.perf_counter() - start
        if done != n:
            raise RuntimeError(f"the worker completed {done} jobs of {n}")
        await asyncio.sleep(0.05)  # let the publisher's task flush outside the timing
        return elapsed / n * 1e6

    return one_round


async def measure(url: str, quick: bool) -> tuple[dict[str, float], dict[str, float]]:
    provider = make_provider()
    functions = make_functions(provider)
    pool = await create_pool(RedisSettings.from_dsn(url))
    try:
        calls, direct_rounds = (500, 5) if quick else (5000, 15)
        jobs, rounds = (150, 3) if quick else (1000, 9)
        direct = await interleaved_rounds(
            {name: direct_round(functions[name], pool, calls) for name in SIDES}, direct_rounds
        )
        worker = await interleaved_rounds(
            {name: worker_round(functions[name], pool, jobs) for name in SIDES}, rounds
        )
    finally:
        await pool.aclose()
        provider.shutdown()
    return direct, worker


def report(direct: Mapping[str, float], worker: Mapping[str, float]) -> bool:
    overhead = worker["monitored"] - worker["plain"]
    print("direct call, await function.coroutine(ctx, 20), µs per job:")
    print(f"  plain job function:                  {direct['plain']:8.1f}")
    print(f"  monitored:                           {direct['monitored']:8.1f}")
    print(f"  monitored, publish_interval=None:    {direct['no-publisher']:8.1f}")
    print(f"  wrapper cost:                        {direct['monitored'] - direct['plain']:8.1f}")
    print(f"  wrapper cost without publisher:      {direct['no-publisher'] - direct['plain']:8.1f}")
    print("arq Worker, burst mode, real redis-server, µs per job:")
    print(f"  arq's own cost (plain):              {worker['plain']:8.1f}")
    print(f"  monitored:                           {worker['monitored']:8.1f}")
    print(f"  monitored, publish_interval=None:    {worker['no-publisher']:8.1f}")
    print(f"  overhead per job:                    {overhead:8.1f}")
    print(f"  overhead without publisher:          {worker['no-publisher'] - worker['plain']:8.1f}")
    print(f"  budget:                              {JOB_BUDGET_US:8.0f}")
    ok = overhead <= JOB_BUDGET_US
    print("PASS" if ok else "FAIL")
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer jobs and rounds")
    args = parser.parse_args(argv)
    setup_logging()
    with tempfile.TemporaryDirectory(prefix="bench-arq-") as directory:
        with redis_server(Path(directory)) as url:
            direct, worker = asyncio.run(measure(url, args.quick))
    return 0 if report(direct, worker) else 1


if __name__ == "__main__":
    sys.exit(main())
