"""The demo's external dependency: an "AI scoring" API, and the breaker that guards it.

The API is simulated in-process (the demo has no model to call); with the ``scoring_down``
fault on it fails like an unreachable service, after a short timeout-like wait. The matching
job calls it through a :class:`~signalpost.breaker.CircuitBreaker`: after
``failure_threshold`` failures the breaker opens, the job falls back to the plain skill
overlap (no model bonus) instead of waiting on a dead API for every candidate, and the worker's
``/health`` turns degraded. When the fault is switched off, the next probe closes it.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import Collection

from demo.faults import Fault, FaultSwitches
from signalpost.breaker import CircuitBreaker

__all__ = ["ScoringClient", "local_score", "scoring_breaker"]


def local_score(wanted: Collection[str], skills: Collection[str]) -> float:
    """The fallback: the share of the posting's skills the candidate has."""
    return len(set(wanted) & set(skills)) / max(len(wanted), 1)


class ScoringClient:
    """Scores a candidate against a posting through the (simulated) scoring API."""

    def __init__(self, faults: FaultSwitches, *, failure_delay: float = 0.05) -> None:
        self._faults = faults
        self._failure_delay = failure_delay

    async def score(self, wanted: Collection[str], skills: Collection[str]) -> float:
        """The model's score: the skill overlap plus what the model sees beyond keywords."""
        if await self._faults.is_on(Fault.SCORING_DOWN):
            await asyncio.sleep(self._failure_delay)
            raise ConnectionRefusedError("scoring API refused the connection")
        return local_score(wanted, skills) + random.random() * 0.1


def scoring_breaker() -> CircuitBreaker:
    """The breaker around the scoring API; settings from ``DEMO_SCORING_*`` variables."""

    def fallback(error: BaseException, wanted: Collection[str], skills: Collection[str]) -> float:
        return local_score(wanted, skills)

    return CircuitBreaker(
        "scoring",
        failure_threshold=int(os.environ.get("DEMO_SCORING_FAILURES", "5")),
        reset_timeout=float(os.environ.get("DEMO_SCORING_RESET_TIMEOUT", "10")),
        fallback=fallback,
    )
