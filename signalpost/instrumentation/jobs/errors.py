"""The exceptions job monitoring raises into job code."""

from __future__ import annotations

import asyncio
from typing import Literal

__all__ = ["JobCancelled", "JobTimeout", "TimeoutScope"]

TimeoutScope = Literal["attempt", "run"]


class JobCancelled(asyncio.CancelledError):
    """The run was cancelled through the running-jobs registry.

    Raised by :meth:`JobRun.progress` and :meth:`JobRun.check` once a cancellation was
    requested. It derives from :class:`asyncio.CancelledError` (a ``BaseException``), so a
    job's ``except Exception`` cannot swallow it by accident, asyncio treats it as a
    cancellation, and retry policies never retry it.
    """


class JobTimeout(TimeoutError):
    """The run or one attempt exceeded the timeout of its :class:`RetryPolicy`.

    Attributes:
        scope: ``"attempt"`` when the per-attempt timeout expired (the policy may retry it:
            it is a :class:`TimeoutError`, classified transient), ``"run"`` when the overall
            timeout expired (never retried).
        timeout: The timeout that expired, in seconds.
    """

    def __init__(self, scope: TimeoutScope, timeout: float) -> None:
        label = "attempt" if scope == "attempt" else "job"
        super().__init__(f"{label} exceeded its timeout of {timeout:g} s")
        self.scope: TimeoutScope = scope
        self.timeout = timeout
