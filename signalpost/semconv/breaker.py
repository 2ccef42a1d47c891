"""Circuit-breaker metrics and attribute keys.

The state is exposed enum-style like the health status: one series per state, 1 for the
current one, so ``CircuitOpen`` is a plain selector and a state timeline needs no mapping.
"""

from __future__ import annotations

from signalpost.semconv._spec import MetricSpec

__all__ = [
    "ALL_BREAKER_METRICS",
    "BREAKER_NAME",
    "BREAKER_STATE",
    "REJECTED_CALLS",
    "STATE",
    "TRANSITIONS",
]

# Signalpost's own keys: no semantic convention covers circuit breakers.
BREAKER_NAME = "circuit_breaker.name"
"""The dependency a breaker guards (``scoring``, ``smtp``): low cardinality, stable."""
BREAKER_STATE = "circuit_breaker.state"
"""``closed``, ``open`` or ``half_open``."""

STATE = MetricSpec(
    name="signalpost_circuit_breaker_state",
    kind="gauge",
    unit="",
    help="1 for the breaker's current state (closed, open or half_open), 0 for the others.",
    attributes=(BREAKER_NAME, BREAKER_STATE),
    otel_name="signalpost.circuit_breaker.state",
    otel_unit="1",
    multiprocess_mode="livemax",
)

TRANSITIONS = MetricSpec(
    name="signalpost_circuit_breaker_transitions",
    kind="counter",
    unit="",
    help="Changes of state of the breaker, by the state it entered.",
    attributes=(BREAKER_NAME, BREAKER_STATE),
    otel_name="signalpost.circuit_breaker.transitions",
    otel_unit="{transition}",
)

REJECTED_CALLS = MetricSpec(
    name="signalpost_circuit_breaker_rejected_calls",
    kind="counter",
    unit="",
    help="Calls the breaker refused without calling the dependency (open, or probes busy).",
    attributes=(BREAKER_NAME,),
    otel_name="signalpost.circuit_breaker.rejected_calls",
    otel_unit="{call}",
)

ALL_BREAKER_METRICS: tuple[MetricSpec, ...] = (STATE, TRANSITIONS, REJECTED_CALLS)
