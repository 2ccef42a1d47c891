"""The job state machine: which state may follow which, and nothing else.

::

    pending ─► running ─► succeeded | failed | cancelled | timed_out
                 ▲   │
                 │   ▼
               retrying ─► cancelled | timed_out | failed

An illegal transition is a bug in the caller and raises :class:`IllegalTransition`.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["TERMINAL_STATES", "TRANSITIONS", "IllegalTransition", "JobState", "JobStateMachine"]


class JobState(StrEnum):
    """Where a run is in its life; the terminal states are the ``job.status`` label values."""

    PENDING = "pending"
    RUNNING = "running"
    RETRYING = "retrying"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"


TERMINAL_STATES: frozenset[JobState] = frozenset(
    {JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED, JobState.TIMED_OUT}
)

TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    JobState.PENDING: frozenset({JobState.RUNNING, JobState.CANCELLED}),
    JobState.RUNNING: frozenset(
        {
            JobState.RETRYING,
            JobState.SUCCEEDED,
            JobState.FAILED,
            JobState.CANCELLED,
            JobState.TIMED_OUT,
        }
    ),
    # Waiting out back-off: the next attempt starts, or the wait is interrupted.
    JobState.RETRYING: frozenset(
        {JobState.RUNNING, JobState.FAILED, JobState.CANCELLED, JobState.TIMED_OUT}
    ),
    JobState.SUCCEEDED: frozenset(),
    JobState.FAILED: frozenset(),
    JobState.CANCELLED: frozenset(),
    JobState.TIMED_OUT: frozenset(),
}
"""Allowed next states for each state; terminal states allow none."""


class IllegalTransition(RuntimeError):
    """A state change the state machine does not allow: a bug in the caller."""

    def __init__(self, current: JobState, target: JobState) -> None:
        super().__init__(f"illegal job state transition {current.value} -> {target.value}")
        self.current = current
        self.target = target


class JobStateMachine:
    """Holds one run's state and enforces :data:`TRANSITIONS`.

    A run changes state only from the code driving it, so there is no lock; readers in other
    threads (the running-jobs registry) see a consistent enum value.
    """

    __slots__ = ("state",)

    def __init__(self, state: JobState = JobState.PENDING) -> None:
        self.state = state

    @property
    def terminal(self) -> bool:
        """Whether the run has ended."""
        return self.state in TERMINAL_STATES

    def can(self, target: JobState) -> bool:
        """Return whether moving to ``target`` is allowed now."""
        return target in TRANSITIONS[self.state]

    def transition(self, target: JobState) -> JobState:
        """Move to ``target`` and return the previous state.

        Raises:
            IllegalTransition: ``target`` may not follow the current state.
        """
        previous = self.state
        if target not in TRANSITIONS[previous]:
            raise IllegalTransition(previous, target)
        self.state = target
        return previous
