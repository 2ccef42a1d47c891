"""What the runs of one job type share (:class:`RunServices`), resolved from the runtime once,
on the first run (:class:`SharedServices`): a job decorated at import time registers nothing,
and one decorated before :func:`signalpost.setup` records where set-up says."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from signalpost.clock import Clock
from signalpost.errors.capture import ErrorReporter
from signalpost.errors.classify import ErrorClassifier
from signalpost.jobs.job_telemetry import JobTelemetry
from signalpost.jobs.running import RunningJobs
from signalpost.runtime import Runtime
from signalpost.runtime import current as current_runtime

__all__ = ["RunServices", "SharedServices"]


@dataclass(frozen=True, slots=True)
class RunServices:
    """What the runs of one job type share: resolved once by their :class:`MonitoredJob`."""

    clock: Clock
    classifier: ErrorClassifier
    running: RunningJobs
    telemetry: JobTelemetry


class SharedServices:
    """Resolves the :class:`RunServices` of one job type once, on first use, thread-safely.

    Args:
        runtime: The runtime to resolve (default: :func:`signalpost.runtime.current` then).
        given: Collaborators given explicitly, overriding the runtime's (``None`` values
            are ignored): see :meth:`signalpost.runtime.Runtime.with_overrides`.
        reporter: The error reporter of failed runs (built from the runtime when ``None``).
        logger: The job events' logger (``signalpost.jobs`` when ``None``).
        progress_interval: Least seconds between two progress records.
    """

    __slots__ = ("_given", "_lock", "_logger", "_progress_interval", "_reporter", "_runtime",
                 "_services")

    def __init__(
        self,
        runtime: Runtime | None,
        given: Mapping[str, Any],
        *,
        reporter: ErrorReporter | None,
        logger: logging.Logger | None,
        progress_interval: float,
    ) -> None:
        self._runtime = runtime
        self._given = dict(given)
        self._reporter = reporter
        self._logger = logger
        self._progress_interval = progress_interval
        self._services: RunServices | None = None
        self._lock = threading.Lock()

    def overridden(self, given: Mapping[str, Any]) -> SharedServices:
        """These services with more collaborators overriding the runtime's (not resolved)."""
        return SharedServices(
            self._runtime,
            {**self._given, **given},
            reporter=self._reporter,
            logger=self._logger,
            progress_interval=self._progress_interval,
        )

    def get(self) -> RunServices:
        """The services, resolved on the first call."""
        services = self._services
        if services is None:
            with self._lock:
                services = self._services
                if services is None:
                    services = self._services = self._resolve()
        return services

    def _resolve(self) -> RunServices:
        shared = self._runtime if self._runtime is not None else current_runtime()
        shared = shared.with_overrides(**self._given)
        telemetry = JobTelemetry.resolve(
            shared,
            reporter=self._reporter,
            logger=self._logger,
            progress_interval=self._progress_interval,
        )
        return RunServices(
            clock=shared.clock,
            classifier=shared.classifier,
            running=shared.running,
            telemetry=telemetry,
        )
