"""arq integration overhead: one job function, monitored by ``signalpost.arq`` or not.

Run: ``.venv/bin/python bench/bench_arq.py [--quick]`` (needs ``redis-server``, installed by
``scripts/bootstrap.sh``).

Budget (issue 14): at most 150 µs per job beside arq's own cost. Three sides run the same
``async def work(ctx, x)``: plain (``arq.worker.func``), monitored by
``signalpost.arq.monitored_functions`` with the default ``publish_interval`` (1 s: the worker
publishes its runs in progress to Redis) and monitored with ``publish_interval=None``. Monitoring
uses the real SDK ``TracerProvider`` with a batch processor, metrics in a fresh registry and the
``signalpost.jobs`` logger at INFO into a discarding handler (see bench_jobs.py). arq's own
job lines are logged at INFO into a handler that formats them and discards them, as arq's
command line would log them; the filters by which ``monitored_functions`` scrubs those lines are
attached during the monitored sides' rounds only (loggers are global to the process). Two levels:

* direct: ``await function.coroutine(ctx, 20)`` with a fresh ctx per job as arq's worker builds
  it (``job_id``, ``job_try``, ``enqueue_time``, ``score``, ``redis`` = a real ``ArqRedis``): the
  wrapper's own cost, no Redis round trip (the publisher only starts its task);
* worker: N jobs enqueued beforehand (not timed), then a real arq ``Worker`` in burst mode
  (``poll_delay=0``, default ``max_jobs``) runs them all against a real redis-server; µs per job
  is arq's own cost (plain side) and the overhead beside it (the budget applies here).

Rounds alternate the sides (plain, monitored, monitored without publisher, plain, ...) and the
best round of each side is reported, as bench_jobs.interleaved does: slower rounds measure other
processes on a shared machine. Each round also reports this process's CPU time per job
(``process_time``: every thread, so the batch span processor's export thread too, and not the
redis-server's); the verdict is on elapsed time. Exit status 1 if the budget fails.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.worker import Function, Worker, func
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry

import signalpost.arq
from signalpost.integrations import ProgressSettings
from signalpost.integrations.queuelogs import ARQ_LOGGERS
from signalpost.jobs import RunningJobs
from signalpost.runtime import Runtime

if __package__ in (None, ""):  # run as a script: make ``bench`` and ``tests`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.bench_jobs import make_provider, setup_logging
from tests.queues.redis_server import redis_server

JOB_BUDGET_US = 150.0
SIDES = ("plain", "monitored", "no-publisher")


async def work(ctx: dict[str, Any], x: int) -> int:
    return sum(range(x))


class FormatHandler(logging.Handler):
    """Formats each record, as a stream handler would, and writes it nowhere."""

    def emit(self, record: logging.LogRecord) -> None:
        self.format(record)


def setup_arq_logging() -> None:
    """arq's own job lines at INFO into a formatting, discarding handler (arq's command line
    logs them at INFO)."""
    logger = logging.getLogger("arq")
    logger.setLevel(logging.INFO)
    logger.addHandler(FormatHandler())
    logger.propagate = False


class LogScrubbing:
    """The filters ``monitored_functions`` adds to arq's loggers (its scrubbing of arq's own
    lines), attached only while a monitored side runs: loggers are global to the process."""

    def __init__(self) -> None:
        self._before = {name: list(logging.getLogger(name).filters) for name in ARQ_LOGGERS}
        self._added: dict[str, list[Any]] = {}

    def installed(self) -> None:
        """Record the filters added since construction."""
        for name, before in self._before.items():
            logger = logging.getLogger(name)
            self._added[name] = [f for f in logger.filters if f not in before]

    def attach(self, on: bool) -> None:
        for name, added in self._added.items():
            logger = logging.getLogger(name)
            for log_filter in added:
                (logger.addFilter if on else logger.removeFilter)(log_filter)


def with_scrubbing(
    scrubbing: LogScrubbing, on: bool, one_round: Callable[[], Awaitable[Cost]]
) -> Callable[[], Awaitable[Cost]]:
    async def scrubbed_round() -> Cost:
        scrubbing.attach(on)
        return await one_round()

    return scrubbed_round


def make_functions(provider: TracerProvider) -> dict[str, Function]:
    """One ``work`` function per side, each monitored one with its own registry."""

    def monitored(publish_interval: float | None) -> Function:
        (function,) = signalpost.arq.monitored_functions(
            [work],
            runtime=Runtime(
                registry=CollectorRegistry(), tracer_provider=provider, running=RunningJobs()
            ),
            progress=ProgressSettings(publish_interval=publish_interval),
        )
        return function

    return {"plain": func(work), "monitored": monitored(1.0), "no-publisher": monitored(None)}


class Cost(NamedTuple):
    """µs per job: elapsed (``perf_counter``) and this process's CPU (``process_time``)."""

    wall: float
    cpu: float


async def interleaved_rounds(
    sides: Mapping[str, Callable[[], Awaitable[Cost]]], rounds: int
) -> dict[str, Cost]:
    """Run one round of each side in turn, ``rounds`` times; return each side's best round
    (the best elapsed and the best CPU time, each over the rounds)."""
    results: dict[str, list[Cost]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, one_round in sides.items():
            results[name].append(await one_round())
    return {
        name: Cost(min(c.wall for c in costs), min(c.cpu for c in costs))
        for name, costs in results.items()
    }


class Timer:
    """Elapsed and CPU time of the code between :meth:`start` and :meth:`per_job`."""

    def start(self) -> None:
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def per_job(self, n: int) -> Cost:
        wall, cpu = time.perf_counter() - self._wall, time.process_time() - self._cpu
        return Cost(wall / n * 1e6, cpu / n * 1e6)


def direct_round(function: Function, pool: ArqRedis, n: int) -> Callable[[], Awaitable[Cost]]:
    coroutine = function.coroutine

    async def one_round() -> Cost:
        timer = Timer()
        timer.start()
        for i in range(n):
            ctx = {
                "redis": pool,
                "job_id": uuid.uuid4().hex,
                "job_try": 1,
                "enqueue_time": datetime.now(UTC),
                "score": i,
            }
            await coroutine(ctx, 20)
        cost = timer.per_job(n)
        await asyncio.sleep(0.01)  # let the publisher's task flush outside the timing
        return cost

    return one_round


def worker_round(function: Function, pool: ArqRedis, n: int) -> Callable[[], Awaitable[Cost]]:
    async def one_round() -> Cost:
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
        timer = Timer()
        timer.start()
        done = await worker.run_check()
        cost = timer.per_job(n)
        if done != n:
            raise RuntimeError(f"the worker completed {done} jobs of {n}")
        await asyncio.sleep(0.05)  # let the publisher's task flush outside the timing
        return cost

    return one_round


async def measure(url: str, quick: bool) -> tuple[dict[str, Cost], dict[str, Cost]]:
    provider = make_provider()
    scrubbing = LogScrubbing()
    functions = make_functions(provider)
    scrubbing.installed()
    pool = await create_pool(RedisSettings.from_dsn(url))
    try:
        calls, direct_rounds = (500, 5) if quick else (5000, 15)
        jobs, rounds = (150, 3) if quick else (1000, 15)
        direct = await interleaved_rounds(
            {
                name: with_scrubbing(
                    scrubbing, name != "plain", direct_round(functions[name], pool, calls)
                )
                for name in SIDES
            },
            direct_rounds,
        )
        worker = await interleaved_rounds(
            {
                name: with_scrubbing(
                    scrubbing, name != "plain", worker_round(functions[name], pool, jobs)
                )
                for name in SIDES
            },
            rounds,
        )
    finally:
        await pool.aclose()
        provider.shutdown()
    return direct, worker


def report(direct: Mapping[str, Cost], worker: Mapping[str, Cost]) -> bool:
    def table(title: str, costs: Mapping[str, Cost], plain: str) -> None:
        print(f"{title}, µs per job (best round; elapsed, and CPU of this process):")
        rows = [
            (plain, costs["plain"]),
            ("monitored", costs["monitored"]),
            ("monitored, publish_interval=None", costs["no-publisher"]),
        ]
        for label, cost in rows:
            print(f"  {label:40s} {cost.wall:8.1f}   cpu {cost.cpu:8.1f}")
        overheads = (("overhead", "monitored"), ("overhead without publisher", "no-publisher"))
        for label, side in overheads:
            wall, cpu = (costs[side][i] - costs["plain"][i] for i in (0, 1))
            print(f"  {label:40s} {wall:8.1f}   cpu {cpu:8.1f}")

    table("direct call, await function.coroutine(ctx, 20)", direct, "plain job function")
    table("arq Worker, burst mode, real redis-server", worker, "arq's own cost (plain)")
    overhead = worker["monitored"].wall - worker["plain"].wall
    ok = overhead <= JOB_BUDGET_US
    verdict = "PASS" if ok else "FAIL"
    print(f"{verdict}  overhead per job beside arq: {overhead:.1f} µs (budget {JOB_BUDGET_US:.0f})")
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer jobs and rounds")
    args = parser.parse_args(argv)
    setup_logging()
    setup_arq_logging()
    with tempfile.TemporaryDirectory(prefix="bench-arq-") as directory:
        with redis_server(Path(directory)) as url:
            direct, worker = asyncio.run(measure(url, args.quick))
    return 0 if report(direct, worker) else 1


if __name__ == "__main__":
    sys.exit(main())
