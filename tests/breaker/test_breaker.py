"""The breaker as users see it: sync and async calls, classification, fallback, telemetry."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry

from signalpost import runtime
from signalpost.breaker import (
    REJECTED_EVENT,
    BreakerState,
    CircuitBreaker,
    CircuitOpenError,
)
from signalpost.errors.classify import (
    DataError,
    ErrorClass,
    ErrorClassifier,
    TransientError,
)
from signalpost.runtime import Runtime
from tests.fake_clock import FakeClock

MakeBreaker = Callable[..., CircuitBreaker]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_breaker(registry: CollectorRegistry, clock: FakeClock) -> MakeBreaker:
    def make(name: str = "scoring", **kwargs: Any) -> CircuitBreaker:
        kwargs.setdefault("failure_threshold", 2)
        kwargs.setdefault("reset_timeout", 30.0)
        own = Runtime(registry=registry, clock=clock)
        if "classifier" in kwargs:
            own = own.with_overrides(classifier=kwargs.pop("classifier"))
        return CircuitBreaker(name, runtime=own, **kwargs)

    return make


def state_value(registry: CollectorRegistry, state: str, name: str = "scoring") -> float | None:
    return registry.get_sample_value(
        "signalpost_circuit_breaker_state",
        {"circuit_breaker_name": name, "circuit_breaker_state": state},
    )


def counter(registry: CollectorRegistry, metric: str, **labels: str) -> float | None:
    return registry.get_sample_value(metric, {"circuit_breaker_name": "scoring", **labels})


def current(breaker: CircuitBreaker) -> BreakerState:
    """The state, read through a call (mypy would narrow the property between asserts)."""
    return breaker.state


def down() -> None:
    raise ConnectionError("scoring API refused the connection")


async def adown() -> None:
    raise TimeoutError("scoring API timed out")


def test_metrics_exist_closed_and_at_zero_before_any_call(
    make_breaker: MakeBreaker, registry: CollectorRegistry
) -> None:
    make_breaker()
    assert [state_value(registry, s) for s in ("closed", "open", "half_open")] == [1, 0, 0]
    for s in ("closed", "open", "half_open"):
        transitions = "signalpost_circuit_breaker_transitions_total"
        assert counter(registry, transitions, circuit_breaker_state=s) == 0
    assert counter(registry, "signalpost_circuit_breaker_rejected_calls_total") == 0


def test_sync_open_reject_probe_close_with_metrics_and_logs(
    make_breaker: MakeBreaker,
    registry: CollectorRegistry,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="signalpost.breaker")
    breaker = make_breaker()
    calls = []

    def ok() -> str:
        calls.append("ok")
        return "scored"

    for _ in range(2):
        with pytest.raises(ConnectionError):
            breaker.call(down)
    assert current(breaker) is BreakerState.OPEN
    with pytest.raises(CircuitOpenError) as rejected:
        breaker.call(ok)
    assert calls == [] and rejected.value.retry_in == 30
    assert counter(registry, "signalpost_circuit_breaker_rejected_calls_total") == 1
    assert [state_value(registry, s) for s in ("closed", "open", "half_open")] == [0, 1, 0]
    clock.advance(30)
    assert breaker.call(ok) == "scored"
    assert current(breaker) is BreakerState.CLOSED
    assert [state_value(registry, s) for s in ("closed", "open", "half_open")] == [1, 0, 0]
    transitions = "signalpost_circuit_breaker_transitions_total"
    assert [
        counter(registry, transitions, circuit_breaker_state=s)
        for s in ("open", "half_open", "closed")
    ] == [1, 1, 1]
    lines = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert lines == [
        (
            "WARNING",
            "circuit breaker 'scoring' opened (was closed): 2 consecutive transient failures",
        ),
        ("INFO", "circuit breaker 'scoring' half-open, probing (was open): reset timeout elapsed"),
        ("INFO", "circuit breaker 'scoring' closed (was half_open): probe succeeded"),
    ]
    record = caplog.records[0]
    assert record.__dict__["circuit_breaker.name"] == "scoring"
    assert record.__dict__["circuit_breaker.state"] == "open"


async def test_async_calls_decorator_and_failed_probe(
    make_breaker: MakeBreaker, clock: FakeClock
) -> None:
    breaker = make_breaker()
    healthy = False

    @breaker
    async def score(candidate: int) -> float:
        await asyncio.sleep(0)
        if not healthy:
            raise TimeoutError("scoring API timed out")
        return candidate / 10

    for _ in range(2):
        with pytest.raises(TimeoutError):
            await score(1)
    with pytest.raises(CircuitOpenError):
        await score(1)
    clock.advance(30)
    with pytest.raises(TimeoutError):  # the probe fails: open again for a full timeout
        await score(1)
    assert current(breaker) is BreakerState.OPEN
    healthy = True
    clock.advance(29)
    with pytest.raises(CircuitOpenError):
        await score(1)
    clock.advance(1)
    assert await score(5) == 0.5
    assert current(breaker) is BreakerState.CLOSED
    assert score.__name__ == "score"


def test_only_transient_errors_trip_it(make_breaker: MakeBreaker) -> None:
    classifier = ErrorClassifier()

    class RateLimited(Exception):
        pass

    classifier.register(RateLimited, ErrorClass.TRANSIENT)
    breaker = make_breaker(classifier=classifier)

    def bad_input() -> None:
        raise DataError("candidate has no skills")

    def config() -> None:
        raise PermissionError("API key rejected")

    for func in (bad_input, config, bad_input, config):
        with pytest.raises((DataError, PermissionError)):
            breaker.call(func)
    assert current(breaker) is BreakerState.CLOSED

    def limited() -> None:
        raise RateLimited("429")

    with pytest.raises(RateLimited):
        breaker.call(limited)
    with pytest.raises(DataError):  # the dependency answered: the failure count resets
        breaker.call(bad_input)
    with pytest.raises(RateLimited):
        breaker.call(limited)
    assert current(breaker) is BreakerState.CLOSED
    with pytest.raises(TransientError):
        breaker.call(lambda: (_ for _ in ()).throw(TransientError("overloaded")))
    assert current(breaker) is BreakerState.OPEN


def test_rejection_is_transient_for_the_classifier() -> None:
    error = CircuitOpenError("scoring", BreakerState.OPEN, 3.0)
    assert ErrorClassifier().classify(error) is ErrorClass.TRANSIENT
    assert str(error) == "circuit breaker 'scoring' is open; retry in 3.0 s"


async def test_fallback_replaces_transient_failures_and_rejections(
    make_breaker: MakeBreaker,
) -> None:
    seen: list[tuple[str, tuple[Any, ...]]] = []

    def fallback(error: BaseException, *args: Any, **kwargs: Any) -> str:
        seen.append((type(error).__name__, (*args, *kwargs.values())))
        return "local estimate"

    breaker = make_breaker(fallback=fallback)

    def flaky(candidate: int, *, posting: int) -> str:
        raise ConnectionError("down")

    assert breaker.call(flaky, 1, posting=7) == "local estimate"
    assert breaker.call(flaky, 2, posting=7) == "local estimate"
    assert breaker.call(flaky, 3, posting=7) == "local estimate"
    assert seen == [
        ("ConnectionError", (1, 7)),
        ("ConnectionError", (2, 7)),
        ("CircuitOpenError", (3, 7)),
    ]

    async def afallback(error: BaseException, candidate: int) -> str:
        return f"async estimate {candidate}"

    abreaker = make_breaker("smtp", fallback=afallback)

    async def send(candidate: int) -> str:
        raise TimeoutError

    assert await abreaker.acall(send, 4) == "async estimate 4"

    def bad(candidate: int, *, posting: int) -> str:
        raise DataError("bad")

    with pytest.raises(DataError):  # not transient: no fallback
        make_breaker("other", fallback=fallback).call(bad, 1, posting=2)


async def test_guard_blocks_sync_and_async(make_breaker: MakeBreaker) -> None:
    breaker = make_breaker(failure_threshold=1)
    with breaker.guard():
        pass
    with pytest.raises(ConnectionError), breaker.guard():
        raise ConnectionError
    with pytest.raises(CircuitOpenError):
        async with breaker.guard():
            pytest.fail("an open breaker must not run the block")


async def test_cancelled_probe_does_not_decide(make_breaker: MakeBreaker, clock: FakeClock) -> None:
    breaker = make_breaker(failure_threshold=1)
    with pytest.raises(ConnectionError):
        breaker.call(down)
    clock.advance(30)
    gate = asyncio.Event()
    task = asyncio.create_task(breaker.acall(gate.wait))
    while breaker.state is not BreakerState.HALF_OPEN:
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert current(breaker) is BreakerState.HALF_OPEN
    assert breaker.call(lambda: 1) == 1  # the slot was freed: the next call probes
    assert current(breaker) is BreakerState.CLOSED


def test_rejected_calls_add_a_span_event(
    make_breaker: MakeBreaker,
    tracer_provider: TracerProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    breaker = make_breaker(failure_threshold=1)
    with pytest.raises(ConnectionError):
        breaker.call(down)
    tracer = tracer_provider.get_tracer("test")
    with tracer.start_as_current_span("match"), pytest.raises(CircuitOpenError):
        breaker.call(lambda: 1)
    (span,) = span_exporter.get_finished_spans()
    (event,) = span.events
    assert event.name == REJECTED_EVENT
    assert dict(event.attributes or {}) == {
        "circuit_breaker.name": "scoring",
        "circuit_breaker.state": "open",
        "circuit_breaker.retry_in_seconds": 30.0,
    }


def test_broken_telemetry_never_changes_the_call(
    make_breaker: MakeBreaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    breaker = make_breaker(failure_threshold=1)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("handler broke")

    monkeypatch.setattr(logging.getLogger("signalpost.breaker"), "log", broken)
    with pytest.raises(ConnectionError):
        breaker.call(down)
    assert current(breaker) is BreakerState.OPEN


def test_threads_hammering_a_breaker_keep_it_consistent(
    make_breaker: MakeBreaker, registry: CollectorRegistry, clock: FakeClock
) -> None:
    breaker = make_breaker(failure_threshold=5, half_open_max_calls=2)
    barrier = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        barrier.wait()
        for round_ in range(200):
            if index == 0 and round_ % 10 == 0:
                clock.advance(30)  # lets probes through, so the breaker cycles
            fail = round_ % 20 < 10  # bursts of failures, then recovery
            try:
                breaker.call(down if fail else (lambda: None))
                result = "ok"
            except ConnectionError:
                result = "failed"
            except CircuitOpenError:
                result = "rejected"
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == 1600
    rejected = counter(registry, "signalpost_circuit_breaker_rejected_calls_total")
    assert rejected == outcomes.count("rejected")
    states = [state_value(registry, s) or 0.0 for s in ("closed", "open", "half_open")]
    assert sorted(states) == [0, 0, 1]
    assert states[list(BreakerState).index(breaker.state)] == 1
    transitions = "signalpost_circuit_breaker_transitions_total"
    opened = counter(registry, transitions, circuit_breaker_state="open") or 0
    half = counter(registry, transitions, circuit_breaker_state="half_open") or 0
    closed = counter(registry, transitions, circuit_breaker_state="closed") or 0
    # Every half-open came from an open and ended in open or closed (or is the current state).
    assert opened >= half >= closed
    assert opened >= 2 and outcomes.count("ok") > 0


ERRORS = {
    "transient": ConnectionResetError("reset by peer"),
    "data": DataError("bad candidate"),
    "configuration": PermissionError("API key rejected"),
    "system": RuntimeError("bug"),
}


@settings(max_examples=200, deadline=None)
@given(outcomes=st.lists(st.sampled_from([*ERRORS, "ok"]), max_size=40))
def test_it_opens_exactly_at_the_threshold_of_consecutive_transient_errors(
    outcomes: list[str],
) -> None:
    breaker = CircuitBreaker(
        "prop", failure_threshold=3, runtime=Runtime(registry=CollectorRegistry(), clock=FakeClock())
    )
    streak = 0
    for outcome in outcomes:
        if streak >= 3:
            with pytest.raises(CircuitOpenError):
                breaker.call(lambda: None)
            continue
        if outcome == "ok":
            breaker.call(lambda: None)
        else:
            error = ERRORS[outcome]

            def fail(error: Exception = error) -> None:
                raise error

            with pytest.raises(type(error)):
                breaker.call(fail)
        streak = streak + 1 if outcome == "transient" else 0
        expected = BreakerState.OPEN if streak >= 3 else BreakerState.CLOSED
        assert current(breaker) is expected


def test_a_breaker_made_before_set_up_records_in_set_up_s_runtime() -> None:
    # The README's order: the breaker at import, set-up later.
    breaker = CircuitBreaker("early", failure_threshold=1)
    installed = Runtime(registry=CollectorRegistry(), clock=FakeClock())
    undo = runtime.install(installed)
    try:
        breaker.open()
    finally:
        undo()
    assert state_value(installed.registry, "open", name="early") == 1


def test_a_breaker_given_a_runtime_records_there_from_construction() -> None:
    own = Runtime(registry=CollectorRegistry(), clock=FakeClock())
    CircuitBreaker("own", runtime=own)
    assert state_value(own.registry, "closed", name="own") == 1


def test_a_breaker_made_after_set_up_has_its_metrics_before_any_call() -> None:
    installed = Runtime(registry=CollectorRegistry(), clock=FakeClock())
    undo = runtime.install(installed)
    try:
        CircuitBreaker("late")
    finally:
        undo()
    assert state_value(installed.registry, "closed", name="late") == 1
