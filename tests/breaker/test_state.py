"""The state machine alone: transitions, half-open probing, stale outcomes, invariants."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signalpost.breaker.state import BreakerState, Permit, StateMachine
from tests.fake_clock import FakeClock

CLOSED, OPEN, HALF = BreakerState.CLOSED, BreakerState.OPEN, BreakerState.HALF_OPEN


def machine(clock: FakeClock, **kwargs: int | float) -> StateMachine:
    settings_: dict[str, int | float] = {
        "failure_threshold": 3,
        "reset_timeout": 10.0,
        "success_threshold": 1,
        "half_open_max_calls": 1,
    }
    settings_.update(kwargs)
    return StateMachine(monotonic=clock.monotonic, **settings_)  # type: ignore[arg-type]


def admitted(m: StateMachine) -> Permit:
    permit, _ = m.admit()
    assert permit is not None
    return permit


def test_opens_after_consecutive_failures_only() -> None:
    m = machine(FakeClock())
    m.failed(admitted(m))
    m.failed(admitted(m))
    m.succeeded(admitted(m))  # a success in between resets the count
    assert m.consecutive_failures == 0
    m.failed(admitted(m))
    m.failed(admitted(m))
    moved = m.failed(admitted(m))
    assert moved is not None
    assert (moved.previous, moved.current, moved.reason) == (
        CLOSED,
        OPEN,
        "3 consecutive transient failures",
    )
    assert m.admit() == (None, None)


def test_half_open_after_the_timeout_admits_one_probe_that_closes_it() -> None:
    clock = FakeClock()
    m = machine(clock)
    m.force(OPEN, "test")
    clock.advance(9.999)
    assert m.admit() == (None, None)
    assert m.retry_in() == pytest.approx(0.001)
    clock.advance(0.001)
    probe, moved = m.admit()
    assert probe is not None and probe.probe
    assert moved is not None and (moved.previous, moved.current) == (OPEN, HALF)
    assert m.admit() == (None, None)  # the probe slot is taken
    closed = m.succeeded(probe)
    assert closed is not None and (closed.current, closed.reason) == (CLOSED, "probe succeeded")
    assert admitted(m).probe is False


def test_a_failed_probe_reopens_for_a_full_timeout() -> None:
    clock = FakeClock()
    m = machine(clock)
    m.force(OPEN, "test")
    clock.advance(10)
    moved = m.failed(admitted(m))
    assert moved is not None and (moved.previous, moved.current) == (HALF, OPEN)
    clock.advance(9)
    assert m.admit() == (None, None)
    assert m.retry_in() == pytest.approx(1)


def test_success_threshold_needs_that_many_probes() -> None:
    clock = FakeClock()
    m = machine(clock, success_threshold=3, half_open_max_calls=2)
    m.force(OPEN, "test")
    clock.advance(10)
    first, second = admitted(m), admitted(m)
    assert m.admit() == (None, None)
    assert m.succeeded(first) is None
    assert m.succeeded(second) is None
    assert m.state is HALF
    moved = m.succeeded(admitted(m))
    assert moved is not None and moved.current is CLOSED


def test_outcomes_from_an_earlier_epoch_are_ignored() -> None:
    m = machine(FakeClock(), failure_threshold=1)
    slow = admitted(m)
    m.failed(admitted(m))
    assert m.state is OPEN
    assert m.succeeded(slow) is None  # a slow success does not close an open breaker
    assert m.state is OPEN


def test_a_cancelled_probe_frees_its_slot() -> None:
    clock = FakeClock()
    m = machine(clock)
    m.force(OPEN, "test")
    clock.advance(10)
    m.abandoned(admitted(m))
    assert m.state is HALF
    assert admitted(m).probe


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("failure_threshold", 0),
        ("success_threshold", 0),
        ("half_open_max_calls", 0),
        ("reset_timeout", 0),
    ],
)
def test_bad_settings_are_refused(key: str, value: int) -> None:
    with pytest.raises(ValueError, match=key):
        machine(FakeClock(), **{key: value})


EVENTS = st.lists(
    st.sampled_from(["admit", "ok", "fail", "cancel", "tick"]), min_size=1, max_size=80
)


@settings(max_examples=300, deadline=None)
@given(events=EVENTS, max_probes=st.integers(1, 3), threshold=st.integers(1, 4))
def test_invariants_hold_for_any_sequence(
    events: list[str], max_probes: int, threshold: int
) -> None:
    clock = FakeClock()
    m = machine(clock, failure_threshold=threshold, half_open_max_calls=max_probes)
    pending: list[Permit] = []
    for event in events:
        if event == "admit":
            permit, _ = m.admit()
            if permit is not None:
                pending.append(permit)
                assert permit.probe == (m.state is HALF)
            else:
                assert m.state in (OPEN, HALF)
        elif event == "tick":
            clock.advance(4)
        elif pending:
            permit = pending.pop(0)
            {"ok": m.succeeded, "fail": m.failed, "cancel": m.abandoned}[event](permit)
        live_probes = sum(1 for p in pending if p.probe and p.epoch == m._epoch)
        assert live_probes <= max_probes
        assert m._probes == live_probes
        assert m.consecutive_failures < threshold
        if m.state is not CLOSED:
            assert m.consecutive_failures == 0
