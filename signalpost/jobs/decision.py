"""The one retry decision of a failed attempt, with its explicit outcomes.

Both ways a run retries ask :func:`decide`: the wrapper waiting out the back-off in this
process (:attr:`RetryOutcome.BACKING_OFF`) and a task queue carrying the retry out
(:attr:`RetryOutcome.HANDED_OFF`, :meth:`JobRun.hand_off_retry`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from signalpost.errors.classify import ErrorClass
from signalpost.jobs.interrupts import JobTimeout
from signalpost.jobs.retry import RetryPolicy

__all__ = ["FINAL", "RetryDecision", "RetryOutcome", "decide"]


class RetryOutcome(StrEnum):
    """What follows a failed attempt."""

    FINAL = "final"
    """No retry: the failure ends the run."""
    BACKING_OFF = "backing_off"
    """This process waits out the back-off, then runs the next attempt."""
    HANDED_OFF = "handed_off"
    """A task queue runs the next attempt after the back-off; this process's part ends."""


@dataclass(frozen=True, slots=True)
class RetryDecision:
    """The outcome of a failed attempt and, for a retry, the back-off before the next one."""

    outcome: RetryOutcome
    delay: float = 0.0

    @property
    def retried(self) -> bool:
        """Whether another attempt follows."""
        return self.outcome is not RetryOutcome.FINAL


FINAL = RetryDecision(RetryOutcome.FINAL)
"""The decision not to retry."""


def decide(
    policy: RetryPolicy,
    exc: BaseException | None,
    error_class: ErrorClass | None,
    attempt: int,
    *,
    cancel_requested: bool,
    hand_off: bool,
) -> RetryDecision:
    """Decide whether attempt ``attempt``, failed with ``exc`` of ``error_class``, is retried.

    Never retried: a cancelled run, the run's own timeout, a non-``Exception`` (cancellation,
    interrupts), or what the policy does not retry (its error classes, its attempts).
    """
    if error_class is None or cancel_requested or not isinstance(exc, Exception):
        return FINAL
    if isinstance(exc, JobTimeout) and exc.scope == "run":
        return FINAL
    if not policy.retries(error_class, attempt):
        return FINAL
    outcome = RetryOutcome.HANDED_OFF if hand_off else RetryOutcome.BACKING_OFF
    return RetryDecision(outcome, policy.delay(attempt))
