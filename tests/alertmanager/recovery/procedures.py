"""A procedure the guard-rail tests script: it counts its actions and never changes anything
(a procedure that does not help), with a precondition and a verification the test sets."""

from __future__ import annotations

import threading

from alertmanager.history.payload import AlertRecord


class Scripted:
    """Counts :meth:`act` calls; ``precondition`` is what :meth:`check` answers, ``verified``
    what :meth:`verify` answers (``None``: ask Alertmanager)."""

    def __init__(self, precondition: str | None = None, verified: bool | None = None) -> None:
        self.precondition = precondition
        self.verified = verified
        self._lock = threading.Lock()
        self.acted_on: list[str] = []

    @property
    def acts(self) -> int:
        with self._lock:
            return len(self.acted_on)

    def check(self, alert: AlertRecord) -> str | None:
        return self.precondition

    def act(self, alert: AlertRecord) -> str:
        with self._lock:
            self.acted_on.append(alert.labels.get("job_type", ""))
            return f"action {len(self.acted_on)}"

    def verify(self, alert: AlertRecord) -> bool | None:
        return self.verified
