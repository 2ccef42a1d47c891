"""The options of one job type: :class:`JobOptions`."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from opentelemetry.propagators.textmap import TextMapPropagator

from signalpost.errors.capture import ErrorReporter
from signalpost.runtime import deprecated_collaborators

__all__ = ["OPTION_NAMES", "EnqueuedAt", "JobOptions", "job_options"]

EnqueuedAt = float | datetime | None
"""When a job was enqueued: Unix time, or an aware ``datetime`` (a ``timestamptz`` column)."""


@dataclass(frozen=True)
class JobOptions:
    """How the runs of one job type wait, report and log (:class:`~signalpost.jobs.MonitoredJob`).

    Attributes:
        enqueued_at: When the job was enqueued (for a retry your queue carries out: when the
            retry was due), a Unix time or an aware ``datetime``; in decorator form optionally
            a callable receiving the call's arguments (``lambda row: row.enqueued_at``). The
            wait until the start is recorded as ``signalpost_job_wait_duration_seconds``;
            ``None`` (or not a finite time): not recorded.
        queue: The queue the job waited in (the ``job_queue`` label of the wait); ``""``
            when there is one.
        progress_interval: Least seconds between two progress log records / span events
            (the run's first report and 100 % are always emitted).
        propagator: Text-map propagator for ``parent`` carriers; the global one by default.
        reporter: Builds the error record of failed runs; by default one logging on
            ``signalpost.jobs`` and counting ``signalpost_errors_total`` in the registry.
        logger: Logger for job events; ``signalpost.jobs`` by default.
    """

    enqueued_at: EnqueuedAt | Callable[..., EnqueuedAt] = None
    queue: str = ""
    progress_interval: float = 30.0
    propagator: TextMapPropagator | None = None
    reporter: ErrorReporter | None = None
    logger: logging.Logger | None = None

    def __post_init__(self) -> None:
        if not self.progress_interval >= 0:
            raise ValueError("progress_interval must be >= 0 seconds")


OPTION_NAMES = tuple(field.name for field in dataclasses.fields(JobOptions))
_INSTEAD = "options=JobOptions(...)"


def job_options(
    owner: str,
    options: JobOptions | None,
    deprecated: Mapping[str, Any],
    collaborators: Collection[str],
    *,
    depth: int = 2,
) -> tuple[JobOptions, dict[str, Any]]:
    """Fold the keywords ``owner`` took before ``options=`` into its options (they override
    the same fields of ``options``), warning once with its deprecated ``collaborators``.

    Returns:
        The options and the deprecated collaborators given.

    Raises:
        TypeError: A keyword ``owner`` never accepted.
    """
    accepted = {name: "runtime=Runtime(...)" for name in collaborators}
    accepted.update(dict.fromkeys(OPTION_NAMES, _INSTEAD))
    found = deprecated_collaborators(owner, deprecated, accepted, depth=depth, instead=accepted)
    changes = {name: found.pop(name) for name in OPTION_NAMES if name in found}
    return dataclasses.replace(options or JobOptions(), **changes), found
