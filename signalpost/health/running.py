"""How a health check runs: its outcome coerced to a result, sync checks in a daemon thread,
async ones as tasks, and the two ways a run fails without raising from the check itself."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from signalpost.errors.capture import exception_type_name
from signalpost.health.check import CheckOutcome, HealthCheck
from signalpost.health.result import CheckResult, Status

__all__ = [
    "StillRunning",
    "TimedOut",
    "coerce",
    "describe",
    "in_thread",
    "run_async",
    "running_loop",
]

_MAX_ERROR_LENGTH = 500


def coerce(outcome: object) -> CheckResult:
    """A check's outcome (result, status, bool or ``None``) as a :class:`CheckResult`."""
    if isinstance(outcome, CheckResult):
        return outcome
    if isinstance(outcome, Status):
        return CheckResult(outcome)
    if outcome is None or outcome is True:
        return CheckResult(Status.HEALTHY)
    if outcome is False:
        return CheckResult.unhealthy("check returned False")
    raise TypeError(f"a check returned {type(outcome).__name__}, expected a CheckResult")


def describe(error: BaseException) -> str:
    """``Type: first line of the message`` of a check's exception, cut to 500 characters."""
    message = str(error).strip().splitlines()
    text = f"{exception_type_name(error)}: {message[0]}" if message else exception_type_name(error)
    return text[:_MAX_ERROR_LENGTH]


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop running in this thread, if any."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class StillRunning(Exception):
    """The previous run of a check that timed out is still going."""


class TimedOut(Exception):
    """A run took longer than the check's timeout."""


async def run_async(check: HealthCheck) -> CheckOutcome:
    """Run an async check (or a sync one returning an awaitable) to its outcome."""
    value: CheckOutcome | Awaitable[CheckOutcome] = check.run()
    if isinstance(value, Awaitable):
        return await value
    return value


def in_thread(func: Callable[[], Any]) -> asyncio.Future[tuple[bool, Any]]:
    """Run ``func`` in a new daemon thread; the future gets (True, result) or (False, error)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[tuple[bool, Any]] = loop.create_future()

    def settle(outcome: tuple[bool, Any]) -> None:
        if not future.done():
            future.set_result(outcome)

    def target() -> None:
        try:
            outcome: tuple[bool, Any] = (True, func())
        except BaseException as error:
            outcome = (False, error)
        try:
            loop.call_soon_threadsafe(settle, outcome)
        except RuntimeError:  # the loop closed while the check ran
            pass

    threading.Thread(target=target, name="signalpost-health-check", daemon=True).start()
    return future
