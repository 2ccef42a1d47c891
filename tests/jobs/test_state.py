from __future__ import annotations

import itertools

import pytest

from signalpost.jobs.state import (
    TERMINAL_STATES,
    TRANSITIONS,
    IllegalTransition,
    JobState,
    JobStateMachine,
)

LEGAL = [
    (JobState.PENDING, JobState.RUNNING),
    (JobState.PENDING, JobState.CANCELLED),
    (JobState.RUNNING, JobState.RETRYING),
    (JobState.RUNNING, JobState.SUCCEEDED),
    (JobState.RUNNING, JobState.FAILED),
    (JobState.RUNNING, JobState.CANCELLED),
    (JobState.RUNNING, JobState.TIMED_OUT),
    (JobState.RETRYING, JobState.RUNNING),
    (JobState.RETRYING, JobState.FAILED),
    (JobState.RETRYING, JobState.CANCELLED),
    (JobState.RETRYING, JobState.TIMED_OUT),
]
ILLEGAL = [
    pair for pair in itertools.product(JobState, JobState) if pair not in set(LEGAL)
]


def test_transition_table_is_exactly_the_documented_one() -> None:
    table = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}
    assert table == set(LEGAL)
    assert all(not TRANSITIONS[s] for s in TERMINAL_STATES)


@pytest.mark.parametrize(("current", "target"), LEGAL)
def test_legal_transition(current: JobState, target: JobState) -> None:
    machine = JobStateMachine(current)
    assert machine.can(target)
    assert machine.transition(target) is current
    assert machine.state is target
    assert machine.terminal == (target in TERMINAL_STATES)


@pytest.mark.parametrize(("current", "target"), ILLEGAL)
def test_illegal_transition_raises_and_keeps_state(current: JobState, target: JobState) -> None:
    machine = JobStateMachine(current)
    assert not machine.can(target)
    with pytest.raises(IllegalTransition, match=f"{current.value} -> {target.value}"):
        machine.transition(target)
    assert machine.state is current


def test_full_path_with_retries() -> None:
    machine = JobStateMachine()
    for target in (
        JobState.RUNNING,
        JobState.RETRYING,
        JobState.RUNNING,
        JobState.RETRYING,
        JobState.RUNNING,
        JobState.SUCCEEDED,
    ):
        machine.transition(target)
    assert machine.terminal


def test_status_values_are_the_metric_label_values() -> None:
    assert {str(s) for s in TERMINAL_STATES} == {"succeeded", "failed", "cancelled", "timed_out"}
