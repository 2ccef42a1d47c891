"""Attempts of a run: ``for attempt in run.attempts(): with attempt: ...`` (and async forms).

The iterator yields the attempt already started with the run, then, after a failure the
policy retries, waits out the back-off on the run's clock and starts the next attempt.
``with attempt`` closes the attempt; it swallows a failure only when a retry was scheduled.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from instrumentation.jobs.state import JobState

if TYPE_CHECKING:
    from instrumentation.jobs.run import JobRun

__all__ = ["Attempt", "Attempts"]


class Attempt:
    """One attempt in :meth:`JobRun.attempts`; use as ``with attempt:`` or ``async with``."""

    __slots__ = ("_run", "number")

    def __init__(self, run: JobRun, number: int) -> None:
        self._run = run
        self.number = number
        """1 for the first attempt."""

    def __enter__(self) -> Attempt:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        run = self._run
        if not run._attempt_open or run.attempt != self.number:
            return False
        return run._end_attempt(exc, may_retry=True)

    async def __aenter__(self) -> Attempt:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        run = self._run
        if not run._attempt_open or run.attempt != self.number:
            return False
        converted = await run._exit_attempt_timeouts(exc)
        suppress = run._end_attempt(converted, may_retry=True)
        if suppress:
            return True
        if converted is not exc and converted is not None:
            raise converted
        return False


class Attempts:
    """Iterator (sync and async) over the attempts of a run; see :meth:`JobRun.attempts`."""

    __slots__ = ("_first", "_run")

    def __init__(self, run: JobRun) -> None:
        self._run = run
        self._first = True

    def __iter__(self) -> Attempts:
        return self

    def __aiter__(self) -> Attempts:
        return self

    def _take_first(self) -> Attempt | None:
        run = self._run
        if self._first:
            self._first = False
            if run._attempt_open:
                return Attempt(run, run.attempt)
        if run._attempt_open:
            # The previous attempt was not used as a context manager: take it as succeeded.
            run._end_attempt(None, may_retry=False)
        return None

    def __next__(self) -> Attempt:
        run = self._run
        first = self._take_first()
        if first is not None:
            return first
        if run.state is not JobState.RETRYING:
            raise StopIteration
        delay = run._before_retry()
        if delay > 0:
            run._deps.clock.sleep(delay)
        run._after_backoff()
        return Attempt(run, run.attempt)

    async def __anext__(self) -> Attempt:
        run = self._run
        first = self._take_first()
        if first is not None:
            return first
        if run.state is not JobState.RETRYING:
            raise StopAsyncIteration
        delay = run._before_retry()
        if delay > 0:
            await run._deps.clock.async_sleep(delay)
        run._after_backoff()
        await run._arm_attempt_timeout()
        return Attempt(run, run.attempt)
