"""The runs of a health check: one run in a daemon thread (sync) or as a task (async), within
its timeout on the monitor's clock, and what it comes to (a :class:`CheckResult`, its latency,
the error class of a failure); a run every interval, for as long as the check's task lives.
The monitor (:mod:`signalpost.health.monitor`) owns the tasks and records the outcomes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from signalpost.clock import Clock
from signalpost.errors.classify import ErrorClass, ErrorClassifier
from signalpost.health.check import HealthCheck
from signalpost.health.result import CheckResult
from signalpost.health.running import (
    StillRunning,
    TimedOut,
    coerce,
    describe,
    in_thread,
    run_async,
)
from signalpost.loggers import HEALTH_LOGGER_NAME

__all__ = ["CheckEntry", "RunOutcome", "finished_in_time", "run_check", "run_periodically"]

_log = logging.getLogger(HEALTH_LOGGER_NAME)


@dataclass(slots=True)
class CheckEntry:
    """A registered check, its label values, bound instruments, task and thread in flight."""

    check: HealthCheck
    is_async: bool
    kind: str
    label: str
    duration: Any = None
    last_success: Any = None
    task: asyncio.Task[None] | None = None
    thread_run: asyncio.Future[tuple[bool, Any]] | None = None


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """What one run came to: the result, its latency in seconds, a failure's error class."""

    result: CheckResult
    latency: float
    error_class: str | None


async def run_check(entry: CheckEntry, clock: Clock, classifier: ErrorClassifier) -> RunOutcome:
    """Run ``entry``'s check once; a failure, a timeout or a hung thread is a result too."""
    check = entry.check
    started = clock.monotonic()
    error_class: str | None = None
    try:
        if entry.thread_run is not None and not entry.thread_run.done():
            raise StillRunning(
                f"previous run still in progress after timing out ({check.timeout:g} s)"
            )
        if entry.is_async:
            work: asyncio.Future[Any] = asyncio.ensure_future(run_async(check))
        else:
            entry.thread_run = in_thread(check.run)
            work = asyncio.shield(entry.thread_run)
        if not await finished_in_time(work, check.timeout, clock):
            raise TimedOut(f"timed out after {check.timeout:g} s")
        if entry.is_async:
            outcome = work.result()
        else:
            ok, value = work.result()
            if not ok:
                raise value if isinstance(value, Exception) else RuntimeError(repr(value))
            outcome = value
        result = coerce(outcome)
    except TimedOut as error:
        result = CheckResult.unhealthy(str(error))
        error_class = ErrorClass.TRANSIENT.value
    except TimeoutError as error:  # raised by the check itself
        result = CheckResult.unhealthy(describe(error))
        error_class = ErrorClass.TRANSIENT.value
    except StillRunning as error:
        result = CheckResult.unhealthy(str(error))
        error_class = ErrorClass.TRANSIENT.value
    except Exception as error:
        result = CheckResult.unhealthy(describe(error))
        error_class = classifier.classify(error).value
    return RunOutcome(result, clock.monotonic() - started, error_class)


async def finished_in_time(work: asyncio.Future[Any], timeout: float, clock: Clock) -> bool:
    """Wait for ``work`` at most ``timeout`` seconds on ``clock``; cancel it if it runs late
    (a thread behind a shield keeps running)."""
    timer = asyncio.ensure_future(clock.async_sleep(timeout))
    try:
        await asyncio.wait((work, timer), return_when=asyncio.FIRST_COMPLETED)
    finally:
        timer.cancel()
        finished = work.done()
        if not finished:
            work.cancel()
            # Let a cancelled check unwind before its next run (a shield returns at once).
            await asyncio.gather(work, return_exceptions=True)
    return finished


async def run_periodically(
    entry: CheckEntry,
    run: Callable[[CheckEntry], Awaitable[None]],
    clock: Clock,
    *,
    delay_first: bool = False,
) -> None:
    """Call ``run(entry)`` every ``interval`` seconds of ``clock`` until cancelled."""
    interval = entry.check.interval
    if delay_first:
        await clock.async_sleep(interval)
    while True:
        started = clock.monotonic()
        try:
            await run(entry)
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug here must not end the check's task
            _log.exception("health check %r: recording failed", entry.check.name)
        await clock.async_sleep(max(0.0, interval - (clock.monotonic() - started)))
