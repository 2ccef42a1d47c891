"""When a run must stop: the exceptions raised into job code, deadlines, asyncio timeouts,
cancellation, and the final state an exception maps to.

Sync code is interrupted cooperatively (the run compares the clock with its deadlines at each
checkpoint); async code through ``asyncio.timeout``, which :class:`AsyncTimeouts` enters and
leaves on the run's behalf.
"""

from __future__ import annotations

import asyncio
from typing import Literal

from signalpost.jobs.retry import RetryPolicy
from signalpost.jobs.state import JobState

__all__ = [
    "AsyncTimeouts",
    "JobCancelled",
    "JobTimeout",
    "TimeoutScope",
    "cancelled",
    "deadline_passed",
    "outcome",
    "run_timeout",
]

TimeoutScope = Literal["attempt", "run"]


class JobCancelled(asyncio.CancelledError):
    """The run was cancelled through the running-jobs registry.

    Raised by :meth:`JobRun.progress` and :meth:`JobRun.check` once a cancellation was
    requested. It derives from :class:`asyncio.CancelledError` (a ``BaseException``), so a
    job's ``except Exception`` cannot swallow it by accident, asyncio treats it as a
    cancellation, and retry policies never retry it.
    """


class JobTimeout(TimeoutError):
    """The run or one attempt exceeded the timeout of its :class:`RetryPolicy`.

    Attributes:
        scope: ``"attempt"`` when the per-attempt timeout expired (the policy may retry it:
            it is a :class:`TimeoutError`, classified transient), ``"run"`` when the overall
            timeout expired (never retried).
        timeout: The timeout that expired, in seconds.
    """

    def __init__(self, scope: TimeoutScope, timeout: float) -> None:
        label = "attempt" if scope == "attempt" else "job"
        super().__init__(f"{label} exceeded its timeout of {timeout:g} s")
        self.scope: TimeoutScope = scope
        self.timeout = timeout


def outcome(exc: BaseException | None) -> JobState:
    """The final state of a run that ended with ``exc`` (``None``: it returned)."""
    if exc is None:
        return JobState.SUCCEEDED
    if isinstance(exc, JobTimeout):
        return JobState.TIMED_OUT
    if not isinstance(exc, Exception):  # CancelledError, JobCancelled, KeyboardInterrupt ...
        return JobState.CANCELLED
    return JobState.FAILED


def cancelled(reason: str | None) -> JobCancelled:
    """The exception that stops a run whose cancellation was requested."""
    return JobCancelled(reason or "cancellation requested")


def run_timeout(policy: RetryPolicy) -> JobTimeout:
    """The exception of a run past its overall timeout."""
    return JobTimeout("run", policy.timeout or 0.0)


def deadline_passed(now: float, run_deadline: float, policy: RetryPolicy) -> JobTimeout:
    """The exception of a run past its attempt deadline (or, if also passed, its run deadline)."""
    if now >= run_deadline:
        return run_timeout(policy)
    return JobTimeout("attempt", policy.attempt_timeout or 0.0)


class AsyncTimeouts:
    """The ``asyncio.timeout`` scopes of an async run: the whole run's and the attempt's."""

    __slots__ = ("_attempts", "_policy", "overall")

    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy
        self.overall: asyncio.Timeout | None = None
        self._attempts: list[asyncio.Timeout] = []

    async def enter_run(self) -> None:
        """Start the overall timeout, if the policy has one."""
        if self._policy.timeout is not None:
            timeout = asyncio.timeout(self._policy.timeout)
            await timeout.__aenter__()
            self.overall = timeout

    async def arm_attempt(self) -> None:
        """Start the attempt's timeout, if the policy has one."""
        if self._policy.attempt_timeout is not None:
            timeout = asyncio.timeout(self._policy.attempt_timeout)
            await timeout.__aenter__()
            self._attempts.append(timeout)

    async def exit_attempt(self, exc: BaseException | None) -> BaseException | None:
        """Leave the attempt's timeout; an expiry turns ``exc`` into a ``JobTimeout``."""
        while self._attempts:
            timeout = self._attempts.pop()
            try:
                await timeout.__aexit__(type(exc) if exc else None, exc, None)
            except TimeoutError as expired:
                exc = JobTimeout("attempt", self._policy.attempt_timeout or 0.0)
                exc.__cause__ = expired
        return exc

    async def exit_run(self, exc: BaseException | None) -> BaseException | None:
        """Leave the overall timeout; an expiry turns ``exc`` into a ``JobTimeout``."""
        if self.overall is None:
            return exc
        timeout, self.overall = self.overall, None
        try:
            await timeout.__aexit__(type(exc) if exc else None, exc, None)
        except TimeoutError as expired:
            exc = run_timeout(self._policy)
            exc.__cause__ = expired
        return exc

    def disarm_attempts(self) -> None:
        """Stop attempt timeouts left armed by a sync ``with attempt`` in async code."""
        for timeout in self._attempts:
            try:
                timeout.reschedule(None)
            except RuntimeError:
                pass

    def interrupted_by_run_timeout(self, exc: BaseException | None) -> bool:
        """Whether ``exc`` is the cancellation with which the overall timeout stopped the run."""
        return (
            isinstance(exc, asyncio.CancelledError)
            and self.overall is not None
            and self.overall.expired()
        )
