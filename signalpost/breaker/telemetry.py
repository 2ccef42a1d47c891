"""What a breaker reports: its state gauge, transitions, rejected calls, span events, logs.

Instruments and label children are bound once per breaker. Every method is failsafe: a broken
registry, tracer or handler is noted on ``signalpost.internal`` and never changes the call.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from opentelemetry import trace
from prometheus_client import CollectorRegistry

from signalpost import metrics
from signalpost.breaker.state import BreakerState, Transition
from signalpost.failsafe import failsafe
from signalpost.loggers import BREAKER_LOGGER_NAME
from signalpost.semconv import breaker as sc

__all__ = ["REJECTED_EVENT", "BreakerTelemetry"]

REJECTED_EVENT = "circuit_breaker.rejected"
"""The span event added to the current span for every call a breaker rejects."""

_log = logging.getLogger(BREAKER_LOGGER_NAME)


class BreakerTelemetry:
    """The metrics, span events and log lines of one breaker named ``name``.

    Transitions are reported outside the state machine's lock, so two threads may report theirs
    in either order: the gauge is always set from ``current()`` (the state now) under a lock of
    its own, so the last report leaves the gauge at the latest state.
    """

    def __init__(
        self, name: str, registry: CollectorRegistry, current: Callable[[], BreakerState]
    ) -> None:
        self.name = name
        self._current = current
        self._gauge_lock = threading.Lock()
        gauge = metrics.gauge(sc.STATE, registry)
        self._state = {s: gauge.labels(name, s.value) for s in BreakerState}
        transitions = metrics.counter(sc.TRANSITIONS, registry)
        # Created at 0 so that rate() and increase() count the first transition.
        self._transitions = {s: transitions.labels(name, s.value) for s in BreakerState}
        self._rejected = metrics.counter(sc.REJECTED_CALLS, registry).labels(name)
        self.refresh()

    def refresh(self) -> None:
        """Set the state gauge to the breaker's current state."""
        with failsafe("circuit breaker state gauge"), self._gauge_lock:
            current = self._current()
            for value, child in self._state.items():
                child.set(1 if value is current else 0)

    def transition(self, moved: Transition) -> None:
        """Report a change of state: gauge, counter and one log line."""
        self.refresh()
        with failsafe("circuit breaker counter"):
            self._transitions[moved.current].inc()
        extra = {
            sc.BREAKER_NAME: self.name,
            sc.BREAKER_STATE: moved.current.value,
            "circuit_breaker.previous_state": moved.previous.value,
        }
        level = logging.WARNING if moved.current is BreakerState.OPEN else logging.INFO
        with failsafe("circuit breaker log"):
            _log.log(
                level,
                "circuit breaker %r %s (was %s): %s",
                self.name,
                _VERB[moved.current],
                moved.previous.value,
                moved.reason,
                extra=extra,
            )

    def rejected(self, state: BreakerState, retry_in: float) -> None:
        """Count a rejected call and mark it on the current span."""
        with failsafe("circuit breaker rejection report"):
            self._rejected.inc()
            span = trace.get_current_span()
            if span.is_recording():
                span.add_event(
                    REJECTED_EVENT,
                    {
                        sc.BREAKER_NAME: self.name,
                        sc.BREAKER_STATE: state.value,
                        "circuit_breaker.retry_in_seconds": round(retry_in, 3),
                    },
                )


_VERB = {
    BreakerState.OPEN: "opened",
    BreakerState.HALF_OPEN: "half-open, probing",
    BreakerState.CLOSED: "closed",
}
