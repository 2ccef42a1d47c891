"""Retry policy: how many attempts, which errors retry, back-off with jitter, timeouts.

Back-off before retry ``n`` (``n = 1`` after the first failed attempt)::

    ceiling(n) = min(max_delay, base_delay * multiplier ** (n - 1))
    delay(n)   = ceiling(n) * (1 - jitter * u),   u uniform in [0, 1)

so ``delay(n)`` lies in ``(ceiling(n) * (1 - jitter), ceiling(n)]``. ``jitter=0`` gives plain
exponential back-off, ``jitter=1`` "full jitter", the default ``0.5`` "equal jitter" (at least
half the ceiling, so a retry never comes straight back onto an overloaded dependency, while
runs that failed together spread out over the other half).
"""

from __future__ import annotations

import math
import random as _random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from signalpost.errors.classify import ErrorClass

__all__ = ["NO_RETRY", "RetryPolicy"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How a job type retries and how long it may take.

    Args:
        max_attempts: Attempts in total, the first included (1 = never retry).
        base_delay: Ceiling of the first back-off, in seconds.
        max_delay: Largest back-off ceiling, in seconds.
        multiplier: Growth of the ceiling per retry.
        jitter: Fraction of the ceiling that is randomised, from 0 to 1 (see module doc).
        retry_on: Error classes that retry; by default only transient errors. Configuration
            and data errors fail at once: they would fail the same way again. The job's
            classifier (the runtime's: ``monitored_job(runtime=...)``) decides the class.
        timeout: Overall limit for the run in seconds (attempts and back-off), or ``None``.
        attempt_timeout: Limit for each attempt in seconds, or ``None``. An expired attempt
            raises :class:`JobTimeout` (a transient error), which is retried like any other.
        random: Returns ``u`` in [0, 1); inject a seeded ``random.Random().random`` in tests.

    Raises:
        ValueError: A value is out of range (checked at construction).
    """

    max_attempts: int = 3
    base_delay: float = 1.0
    max_delay: float = 60.0
    multiplier: float = 2.0
    jitter: float = 0.5
    retry_on: frozenset[ErrorClass] = frozenset({ErrorClass.TRANSIENT})
    timeout: float | None = None
    attempt_timeout: float | None = None
    random: Callable[[], float] = field(default=_random.random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.max_attempts, int) or self.max_attempts < 1:
            raise ValueError(f"max_attempts must be an integer >= 1, got {self.max_attempts!r}")
        for name in ("base_delay", "max_delay"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        if self.max_delay < self.base_delay:
            raise ValueError("max_delay must be >= base_delay")
        if not math.isfinite(self.multiplier) or self.multiplier < 1:
            raise ValueError(f"multiplier must be >= 1, got {self.multiplier!r}")
        if not 0 <= self.jitter <= 1:
            raise ValueError(f"jitter must be between 0 and 1, got {self.jitter!r}")
        for name in ("timeout", "attempt_timeout"):
            value = getattr(self, name)
            if value is not None and (not math.isfinite(value) or value <= 0):
                raise ValueError(f"{name} must be a positive number or None, got {value!r}")
        retry_on: Iterable[ErrorClass | str] = self.retry_on
        object.__setattr__(self, "retry_on", frozenset(ErrorClass(c) for c in retry_on))

    def ceiling(self, retry: int) -> float:
        """Return the back-off ceiling before retry number ``retry`` (1-based)."""
        if retry < 1:
            raise ValueError("retry numbers start at 1")
        try:
            grown = self.base_delay * self.multiplier ** (retry - 1)
        except OverflowError:
            return self.max_delay
        return min(self.max_delay, grown)

    def bounds(self, retry: int) -> tuple[float, float]:
        """Return the (lowest, highest) back-off before retry ``retry``, as the formula says."""
        top = self.ceiling(retry)
        return top * (1 - self.jitter), top

    def delay(self, retry: int) -> float:
        """Draw the back-off before retry ``retry`` (1-based), in seconds."""
        return self.ceiling(retry) * (1 - self.jitter * self.random())

    def retries(self, error_class: ErrorClass, attempt: int) -> bool:
        """Return whether a failure of ``error_class`` in attempt ``attempt`` is retried."""
        return attempt < self.max_attempts and error_class in self.retry_on


NO_RETRY = RetryPolicy(max_attempts=1)
"""One attempt, no timeouts: the policy of a job given none."""
