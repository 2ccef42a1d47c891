"""What a circuit breaker adds to each call: an in-process micro-benchmark.

Run: ``.venv/bin/python -m bench.bench_breaker [--number 50000]``

Measured, each as the best of 5 rounds (``timeit`` style, so that slower rounds measuring other
processes on a shared machine do not count), against the bare call of the same function:

* a successful sync call through ``breaker.call`` (closed: the common case);
* a successful async call through ``await breaker.acall`` (inside one running loop);
* a ``with breaker.guard():`` block;
* a rejected call while open, with a fallback (the metric increment; no recording span);
* a rejected call inside a recording span (adds the ``circuit_breaker.rejected`` event).

Reports microseconds per call; there is no budget and no exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
import timeit
from collections.abc import Callable

from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry

from signalpost.breaker import CircuitBreaker
from signalpost.runtime import Runtime


def best_us(func: Callable[[], object], number: int) -> float:
    return min(timeit.repeat(func, number=number, repeat=5)) / number * 1e6


def answer() -> int:
    return 42


async def aanswer() -> int:
    return 42


def async_us(breaker: CircuitBreaker, number: int) -> tuple[float, float]:
    """(bare, through the breaker) µs per awaited call, best of 5 rounds."""

    async def rounds() -> tuple[float, float]:
        bare, guarded = [], []
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(number):
                await aanswer()
            bare.append(time.perf_counter() - start)
            start = time.perf_counter()
            for _ in range(number):
                await breaker.acall(aanswer)
            guarded.append(time.perf_counter() - start)
        return min(bare) / number * 1e6, min(guarded) / number * 1e6

    return asyncio.run(rounds())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--number", type=int, default=50_000)
    number = parser.parse_args().number
    logging.getLogger("signalpost.breaker").disabled = True  # the one transition line

    registry = CollectorRegistry()
    closed = CircuitBreaker("bench", runtime=Runtime(registry=registry))
    bare = best_us(answer, number)
    sync = best_us(lambda: closed.call(answer), number)

    def guarded() -> None:
        with closed.guard():
            answer()

    guard = best_us(guarded, number)
    abare, acall = async_us(closed, number)

    shed = CircuitBreaker(
        "bench-open",
        runtime=Runtime(registry=registry),
        reset_timeout=3600,
        fallback=lambda error: 0,
    )
    shed.open()
    rejected = best_us(lambda: shed.call(answer), number)
    tracer = TracerProvider().get_tracer("bench")
    with tracer.start_as_current_span("request"):
        # Events pile up on the one span: fewer calls keep its memory bounded.
        traced = best_us(lambda: shed.call(answer), max(number // 50, 100))

    print(f"bare sync call                    {bare:7.2f} µs")
    print(f"breaker.call, closed              {sync:7.2f} µs  (+{sync - bare:.2f})")
    print(f"with breaker.guard(), closed      {guard:7.2f} µs  (+{guard - bare:.2f})")
    print(f"bare await                        {abare:7.2f} µs")
    print(f"await breaker.acall, closed       {acall:7.2f} µs  (+{acall - abare:.2f})")
    print(f"rejected + fallback, no span      {rejected:7.2f} µs")
    print(f"rejected + fallback, span event   {traced:7.2f} µs")


if __name__ == "__main__":
    main()
