"""Job monitoring overhead: a progress call in a tight loop, and a whole run over the bare call.

Run: ``.venv/bin/python bench/bench_jobs.py [--quick]``

Budgets (issue 3), measured with tracing on (the real SDK ``TracerProvider`` with a batch
processor and an exporter that drops spans), metrics in a fresh registry and the
``signalpost.jobs`` logger enabled at INFO into a discarding handler:

* ``progress()`` in a tight loop: at most 2 µs per call on average;
* a whole monitored run without retries: at most 150 µs more than the bare function, for
  the sync and the async decorator without a retry policy and for the sync decorator under a
  retry policy whose first attempt succeeds (each: one span, two log records, eight metric
  updates; attempt 1 runs under the run span, attempt spans appear only once a run retries);
* recording the wait before the run (``enqueued_at`` given, issue 20): at most 10 µs more
  than the same run without it (runs with and without, interleaved).

Runs are measured in interleaved rounds (bare, monitored, bare, ...) and, as ``timeit``
advises, the best round of each side is reported: slower rounds measure other processes on a
shared machine, not this code. Exit status 1 if a budget fails.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from collections.abc import Callable, Sequence

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from prometheus_client import CollectorRegistry

from signalpost.jobs import JobOptions, RetryPolicy, RunningJobs, monitored_job
from signalpost.runtime import Runtime


def _runtime(provider: TracerProvider, registry: CollectorRegistry | None = None) -> Runtime:
    """A runtime of its own per job: the given registry or a fresh one, a fresh run list."""
    return Runtime(
        registry=registry or CollectorRegistry(), tracer_provider=provider, running=RunningJobs()
    )


PROGRESS_BUDGET_US = 2.0
RUN_BUDGET_US = 150.0
WAIT_BUDGET_US = 10.0


class DropExporter(SpanExporter):
    """Accepts spans and throws them away: measures our cost, not a network's."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


class DropHandler(logging.Handler):
    """Formats nothing, keeps nothing; the logger stays enabled at INFO."""

    def emit(self, record: logging.LogRecord) -> None:
        return None


def make_provider() -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(DropExporter(), max_queue_size=65536))
    return provider


def setup_logging() -> None:
    logger = logging.getLogger("signalpost.jobs")
    logger.setLevel(logging.INFO)
    logger.addHandler(DropHandler())
    logger.propagate = False


def bench_progress(provider: TracerProvider, calls: int, rounds: int) -> float:
    """Return the best per-call cost of ``run.progress`` in microseconds."""
    job = monitored_job(
        "bench_progress",
        runtime=_runtime(provider),
    )
    per_call: list[float] = []
    for _ in range(rounds):
        with job as run:
            progress = run.progress
            start = time.perf_counter()
            for i in range(calls):
                progress(i, calls)
            per_call.append((time.perf_counter() - start) / calls * 1e6)
    return min(per_call)


def interleaved(
    bare: Callable[[], None], monitored: Callable[[], None], n: int, rounds: int
) -> tuple[float, float]:
    """Return the best per-call microseconds of ``bare`` and ``monitored`` (alternating)."""
    bare_us: list[float] = []
    monitored_us: list[float] = []
    for _ in range(rounds):
        for fn, out in ((bare, bare_us), (monitored, monitored_us)):
            start = time.perf_counter()
            for _ in range(n):
                fn()
            out.append((time.perf_counter() - start) / n * 1e6)
    return min(bare_us), min(monitored_us)


def bench_sync_run(
    provider: TracerProvider, n: int, rounds: int, retry: RetryPolicy | None = None
) -> tuple[float, float]:
    def work() -> int:
        return sum(range(20))

    wrapped = monitored_job(
        "bench_run",
        runtime=_runtime(provider),
        retry=retry,
    )(work)

    def bare() -> None:
        work()

    def monitored() -> None:
        wrapped()

    return interleaved(bare, monitored, n, rounds)


def bench_async_run(provider: TracerProvider, n: int, rounds: int) -> tuple[float, float]:
    async def work() -> int:
        return sum(range(20))

    wrapped = monitored_job(
        "bench_async_run",
        runtime=_runtime(provider),
    )(work)

    async def main() -> tuple[float, float]:
        bare_us: list[float] = []
        monitored_us: list[float] = []
        for _ in range(rounds):
            start = time.perf_counter()
            for _ in range(n):
                await work()
            bare_us.append((time.perf_counter() - start) / n * 1e6)
            start = time.perf_counter()
            for _ in range(n):
                await wrapped()
            monitored_us.append((time.perf_counter() - start) / n * 1e6)
        return min(bare_us), min(monitored_us)

    return asyncio.run(main())


def bench_wait(provider: TracerProvider, n: int, rounds: int) -> tuple[float, float]:
    """Best per-run microseconds of a monitored run without and with ``enqueued_at``."""

    def work() -> int:
        return sum(range(20))

    registry = CollectorRegistry()
    without = monitored_job(
        "bench_wait", runtime=_runtime(provider, registry)
    )(work)
    waited = monitored_job(
        "bench_wait",
        runtime=_runtime(provider, registry),
        options=JobOptions(enqueued_at=time.time() - 1.5),
    )(work)

    def plain() -> None:
        without()

    def with_wait() -> None:
        waited()

    return interleaved(plain, with_wait, n, rounds)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer iterations (smoke run)")
    args = parser.parse_args(argv)
    scale = 10 if args.quick else 1

    setup_logging()
    provider = make_provider()
    try:
        progress_us = bench_progress(provider, calls=200_000 // scale, rounds=10)
        sync_bare, sync_mon = bench_sync_run(provider, n=2_000 // scale, rounds=15)
        async_bare, async_mon = bench_async_run(provider, n=2_000 // scale, rounds=15)
        retry_bare, retry_mon = bench_sync_run(
            provider, n=2_000 // scale, rounds=15, retry=RetryPolicy(max_attempts=3)
        )
        no_wait, wait = bench_wait(provider, n=2_000 // scale, rounds=15)
    finally:
        provider.shutdown()

    results = [
        ("progress() per call, tracing on", progress_us, PROGRESS_BUDGET_US),
        ("sync run overhead over bare", sync_mon - sync_bare, RUN_BUDGET_US),
        ("async run overhead over bare", async_mon - async_bare, RUN_BUDGET_US),
        ("sync run, retry policy, 1st ok", retry_mon - retry_bare, RUN_BUDGET_US),
        ("wait recorded at start (enqueued_at)", wait - no_wait, WAIT_BUDGET_US),
    ]
    print(f"python {sys.version.split()[0]}; best of interleaved rounds")
    print(f"  sync run:           bare {sync_bare:8.2f} µs   monitored {sync_mon:8.2f} µs")
    print(f"  async run:          bare {async_bare:8.2f} µs   monitored {async_mon:8.2f} µs")
    print(f"  sync run, retry:    bare {retry_bare:8.2f} µs   monitored {retry_mon:8.2f} µs")
    print(f"  sync run, waited:   no enqueued_at {no_wait:8.2f} µs   enqueued_at {wait:8.2f} µs")
    ok = True
    for name, value, budget in results:
        passed = value <= budget
        ok &= passed
        verdict = "PASS" if passed else "FAIL"
        print(f"{verdict}  {name:34s} {value:8.2f} µs  (budget {budget:g} µs)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
