"""Circuit breakers you can see: stop calling a failing dependency, probe it, recover.

Example::

    from signalpost.breaker import BreakerCheck, CircuitBreaker

    scoring = CircuitBreaker("scoring", failure_threshold=5, reset_timeout=30,
                             fallback=lambda error, *args: local_score(*args))
    score = await scoring.acall(client.score, candidate)      # or @scoring, or with scoring.guard()
    monitor.add(BreakerCheck([scoring]))                      # open: /health degraded

Only transient errors (by the shared classifier) trip a breaker. A :data:`Fallback` is called
as ``fallback(error, *args, **kwargs)`` instead of raising. Each breaker exports
``signalpost_circuit_breaker_state``, ``..._transitions_total`` and
``..._rejected_calls_total``, adds a :data:`REJECTED_EVENT` (``circuit_breaker.rejected``) to
the current span for each call it rejects, and logs each transition on ``signalpost.breaker``.
See ``docs/breaker.md``.
"""

from __future__ import annotations

from signalpost.breaker.breaker import (
    CircuitBreaker,
    CircuitOpenError,
    Fallback,
    Guard,
)
from signalpost.breaker.health import BreakerCheck
from signalpost.breaker.state import BreakerState, Transition
from signalpost.breaker.telemetry import REJECTED_EVENT

__all__ = [
    "REJECTED_EVENT",
    "BreakerCheck",
    "BreakerState",
    "CircuitBreaker",
    "CircuitOpenError",
    "Fallback",
    "Guard",
    "Transition",
]
