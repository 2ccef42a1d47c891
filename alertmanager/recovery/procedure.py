"""What a recovery procedure is: a precondition, an action and, optionally, its own check that
the action worked. Procedures are plain objects the runner calls in a worker thread.
"""

from __future__ import annotations

from typing import Protocol

from alertmanager.history.payload import AlertRecord

__all__ = ["AlertRecord", "Procedure", "ProcedureError"]


class ProcedureError(RuntimeError):
    """The action failed; the message (no secrets) is recorded and escalated."""


class Procedure(Protocol):
    """A recovery procedure the runner may run for an alert (see ``docs/recovery.md``).

    Every method gets the alert as Alertmanager sent it (labels, annotations, start and, for a
    resolved alert, end). Methods must be safe to call from a worker thread and must not block
    for long: the runner calls them with the procedure's own timeouts in force.
    """

    def check(self, alert: AlertRecord) -> str | None:
        """The precondition: ``None`` when acting is right now, else why not (recorded)."""
        ...

    def act(self, alert: AlertRecord) -> str:
        """Do it; return what was done, in one line (recorded and sent with an escalation).

        Raises:
            ProcedureError: It could not be done (recorded as ``failed`` and escalated).
        """
        ...

    def verify(self, alert: AlertRecord) -> bool | None:
        """Whether the action worked. ``None``: let the runner ask Alertmanager whether the
        alert resolved (the default for a firing alert)."""
        ...
