"""The one retry decision: the wrapper's back-off and a queue's hand-off ask the same question."""

from __future__ import annotations

import pytest

from signalpost.errors.classify import ErrorClass
from signalpost.jobs.decision import RetryOutcome, decide
from signalpost.jobs.interrupts import JobCancelled, JobTimeout
from signalpost.jobs.retry import RetryPolicy

POLICY = RetryPolicy(max_attempts=3, base_delay=2.0, jitter=0.0)


@pytest.mark.parametrize(
    ("hand_off", "outcome"),
    [(False, RetryOutcome.BACKING_OFF), (True, RetryOutcome.HANDED_OFF)],
)
def test_a_retried_failure_backs_off_here_or_is_handed_off(
    hand_off: bool, outcome: RetryOutcome
) -> None:
    decision = decide(
        POLICY, TimeoutError(), ErrorClass.TRANSIENT, 1, cancel_requested=False, hand_off=hand_off
    )
    assert decision.outcome is outcome and decision.retried
    assert decision.delay == POLICY.delay(1)


@pytest.mark.parametrize(
    ("exc", "error_class", "attempt", "cancelled"),
    [
        (TimeoutError(), ErrorClass.TRANSIENT, 3, False),  # attempts used up
        (ValueError(), ErrorClass.DATA, 1, False),  # a class the policy does not retry
        (TimeoutError(), ErrorClass.TRANSIENT, 1, True),  # cancelled
        (JobTimeout("run", 5.0), ErrorClass.TRANSIENT, 1, False),  # the run's own timeout
        (JobCancelled("x"), ErrorClass.TRANSIENT, 1, False),  # not an Exception
        (None, None, 1, False),  # no failure
    ],
)
def test_what_is_never_retried(
    exc: BaseException | None, error_class: ErrorClass | None, attempt: int, cancelled: bool
) -> None:
    for hand_off in (False, True):
        decision = decide(
            POLICY, exc, error_class, attempt, cancel_requested=cancelled, hand_off=hand_off
        )
        assert decision.outcome is RetryOutcome.FINAL and not decision.retried
