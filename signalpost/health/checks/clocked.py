"""The clock a built-in check reads its latency from: :class:`CheckClock`."""

from __future__ import annotations

from signalpost.clock import Clock
from signalpost.runtime import Runtime
from signalpost.runtime import current as current_runtime

__all__ = ["CheckClock"]


class CheckClock:
    """A check's clock: the one given, else its runtime's, resolved at the check's first run
    (so a check made before ``setup()`` reads the clock set-up installed).

    Args:
        runtime: The check's runtime (default: :func:`signalpost.runtime.current`).
        clock: A clock of its own, overriding the runtime's.
    """

    __slots__ = ("_clock", "_runtime")

    def __init__(self, runtime: Runtime | None, clock: Clock | None) -> None:
        self._runtime = runtime
        self._clock = clock

    def resolve(self) -> Clock:
        """The clock, resolved once."""
        clock = self._clock
        if clock is None:
            clock = self._clock = (
                self._runtime if self._runtime is not None else current_runtime()
            ).clock
        return clock
