"""``reenqueue_after_outage``: once ``DatabaseDown`` resolves, the jobs that failed with
transient errors during the outage are handed back to their queue, through a hook the app
registers (only the app knows its jobs' arguments and which failures are safe to repeat)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from alertmanager.history.payload import AlertRecord
from alertmanager.recovery.procedure import ProcedureError

__all__ = ["ReenqueueAfterOutage", "ReenqueueHook"]


class ReenqueueHook(Protocol):
    """What the app provides to re-enqueue its failed jobs."""

    def failed_during(self, service: str, since: datetime, until: datetime) -> Sequence[str]:
        """IDs of the jobs of ``service`` that failed with transient errors in the window and
        were not re-enqueued yet."""
        ...

    def reenqueue(self, job_ids: Sequence[str]) -> Sequence[str]:
        """Enqueue those jobs again (durably); return the new runs' IDs."""
        ...

    def succeeded(self, job_ids: Sequence[str]) -> bool:
        """Whether every run in ``job_ids`` finished successfully."""
        ...


class ReenqueueAfterOutage:
    """The procedure over the app's :class:`ReenqueueHook`.

    Args:
        hook: The app's hook.
        max_jobs: At most this many jobs per outage (more is a decision for a person).
        lookback: Seconds before the alert's start that belong to the outage: an alert starts
            when its rule fires, the rule's ``for`` plus a check, scrape and evaluation after
            the database went away, and the jobs that failed first failed in between.
    """

    def __init__(
        self, hook: ReenqueueHook, *, max_jobs: int = 1000, lookback: float = 0.0
    ) -> None:
        if lookback < 0:
            raise ValueError(f"lookback must be 0 or more seconds, not {lookback}")
        self._hook = hook
        self._max_jobs = max_jobs
        self._lookback = timedelta(seconds=lookback)
        self._lock = threading.Lock()
        self._runs: dict[tuple[str, datetime], list[str]] = {}

    def check(self, alert: AlertRecord) -> str | None:
        """Acts on a resolved outage of a named service with failed jobs, not too many."""
        if alert.ends_at is None or not alert.service:
            return "the outage has not resolved, or names no service"
        failed = self._hook.failed_during(alert.service, self._since(alert), alert.ends_at)
        if not failed:
            return "no job failed with a transient error during the outage"
        if len(failed) > self._max_jobs:
            return f"{len(failed)} failed jobs, more than {self._max_jobs}: a person decides"
        return None

    def act(self, alert: AlertRecord) -> str:
        """Re-enqueue the failed jobs; remember their new runs for :meth:`verify`."""
        if alert.ends_at is None or not alert.service:
            raise ProcedureError("the outage has not resolved")
        failed = list(self._hook.failed_during(alert.service, self._since(alert), alert.ends_at))
        new = list(self._hook.reenqueue(failed))
        with self._lock:
            self._runs[(alert.fingerprint, alert.starts_at)] = new
        return f"re-enqueued {len(new)} job(s) that failed during the outage"

    def _since(self, alert: AlertRecord) -> datetime:
        return alert.starts_at - self._lookback

    def verify(self, alert: AlertRecord) -> bool | None:
        """Whether every re-enqueued run succeeded."""
        with self._lock:
            runs = self._runs.get((alert.fingerprint, alert.starts_at))
        return runs is not None and self._hook.succeeded(runs)
