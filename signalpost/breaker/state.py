"""The breaker's state machine: closed, open, half-open, guarded by one lock.

It decides and does nothing else (no telemetry, no calls), so it is small enough to test
exhaustively. Every decision returns the transition it made, if any, for the caller to report
outside the lock.

Each admitted call carries the *epoch* it was admitted in (a number bumped by every
transition). An outcome from an earlier epoch is ignored: a slow call admitted while the
breaker was closed must not close it again after it opened, nor count twice against it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["BreakerState", "Permit", "StateMachine", "Transition"]


class BreakerState(StrEnum):
    """Where a breaker stands."""

    CLOSED = "closed"
    """Calls go through; consecutive transient failures are counted."""
    OPEN = "open"
    """Calls are rejected without reaching the dependency until the reset timeout elapses."""
    HALF_OPEN = "half_open"
    """A few probe calls go through; their outcome closes or re-opens the breaker."""


@dataclass(frozen=True, slots=True)
class Transition:
    """A change of state, and why."""

    previous: BreakerState
    current: BreakerState
    reason: str


@dataclass(frozen=True, slots=True)
class Permit:
    """An admitted call: the epoch it was admitted in and whether it is a probe."""

    epoch: int
    probe: bool


class StateMachine:
    """Closed → open after ``failure_threshold`` consecutive failures; open → half-open after
    ``reset_timeout`` seconds (on the next call); half-open → closed after
    ``success_threshold`` successful probes, → open on a failed one. At most
    ``half_open_max_calls`` probes run at once; other calls are rejected meanwhile.
    """

    def __init__(
        self,
        *,
        failure_threshold: int,
        reset_timeout: float,
        success_threshold: int,
        half_open_max_calls: int,
        monotonic: Callable[[], float],
    ) -> None:
        for name, value in (
            ("failure_threshold", failure_threshold),
            ("success_threshold", success_threshold),
            ("half_open_max_calls", half_open_max_calls),
        ):
            if value < 1:
                raise ValueError(f"{name} must be at least 1, got {value!r}")
        if not reset_timeout > 0:
            raise ValueError(f"reset_timeout must be positive, got {reset_timeout!r}")
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self.success_threshold = success_threshold
        self.half_open_max_calls = half_open_max_calls
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._epoch = 0
        self._failures = 0
        self._successes = 0
        self._probes = 0
        self._opened_at = 0.0

    @property
    def state(self) -> BreakerState:
        """The current state (open until a call arrives after the reset timeout)."""
        return self._state

    @property
    def consecutive_failures(self) -> int:
        """Transient failures in a row while closed."""
        return self._failures

    def retry_in(self) -> float:
        """Seconds until an open breaker lets a probe through (0 unless open)."""
        with self._lock:
            if self._state is not BreakerState.OPEN:
                return 0.0
            return max(0.0, self._opened_at + self.reset_timeout - self._monotonic())

    def admit(self) -> tuple[Permit | None, Transition | None]:
        """Admit a call (a permit) or reject it (``None``); may move open → half-open."""
        with self._lock:
            moved = None
            if self._state is BreakerState.OPEN:
                if self._monotonic() - self._opened_at < self.reset_timeout:
                    return None, None
                moved = self._move(BreakerState.HALF_OPEN, "reset timeout elapsed")
            if self._state is BreakerState.HALF_OPEN:
                if self._probes >= self.half_open_max_calls:
                    return None, moved
                self._probes += 1
                return Permit(self._epoch, probe=True), moved
            return Permit(self._epoch, probe=False), moved

    def succeeded(self, permit: Permit) -> Transition | None:
        """Record a call that reached the dependency and got an answer."""
        with self._lock:
            if permit.epoch != self._epoch:
                return None
            if not permit.probe:
                self._failures = 0
                return None
            self._probes -= 1
            self._successes += 1
            if self._successes >= self.success_threshold:
                return self._move(BreakerState.CLOSED, "probe succeeded")
            return None

    def failed(self, permit: Permit) -> Transition | None:
        """Record a call that failed with a transient error."""
        with self._lock:
            if permit.epoch != self._epoch:
                return None
            if permit.probe:
                return self._move(BreakerState.OPEN, "probe failed")
            self._failures += 1
            if self._failures >= self.failure_threshold:
                return self._move(
                    BreakerState.OPEN, f"{self._failures} consecutive transient failures"
                )
            return None

    def abandoned(self, permit: Permit) -> None:
        """Release a call that ended without a verdict (cancelled): frees its probe slot."""
        with self._lock:
            if permit.probe and permit.epoch == self._epoch:
                self._probes -= 1

    def force(self, state: BreakerState, reason: str) -> Transition | None:
        """Move to ``state`` now (an operator's or a test's decision)."""
        with self._lock:
            if state is self._state:
                return None
            return self._move(state, reason)

    def _move(self, state: BreakerState, reason: str) -> Transition:
        previous = self._state
        self._state = state
        self._epoch += 1
        self._failures = 0
        self._successes = 0
        self._probes = 0
        if state is BreakerState.OPEN:
            self._opened_at = self._monotonic()
        return Transition(previous, state, reason)
