"""Stands in for Prometheus' ``JobStuck`` rule in the stuck-job tests: it reads the running
jobs endpoint (with credentials) and posts the alert to Alertmanager while a run of the job
type has made no progress for ``after`` seconds, and resolves it once none has."""

from __future__ import annotations

import threading
import time
from typing import Any

from tests.alertmanager.harness import AlertmanagerServer
from tests.alertmanager.recovery.harness import firing, resolved
from tests.queues.jobs_listing import JobsClient


class StuckRule:
    """Evaluates every 0.2 s in a thread until :meth:`stop`."""

    def __init__(self, jobs: JobsClient, am: AlertmanagerServer, labels: dict[str, str],
                 after: float) -> None:
        self._jobs = jobs
        self._am = am
        self.labels = labels
        self._after = after
        self.started: float | None = None
        self.resolved_at: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _stuck(self) -> list[dict[str, Any]]:
        return [r for r in self._jobs.runs().values()
                if r["job_type"] == self.labels["job_type"] and not r["cancel_requested"]
                and r["seconds_since_progress"] >= self._after]

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            stuck = self._stuck()
            if stuck and self.started is None:
                self.started = time.time()
                self._am.post_alerts([firing(self.labels, self.started)])
            elif not stuck and self.started is not None and self.resolved_at is None:
                self.resolved_at = time.time()
                self._am.post_alerts([resolved(self.labels, self.started)])

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
