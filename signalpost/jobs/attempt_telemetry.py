"""What the attempts of a run emit: a retried attempt's span, the attempt counters, the
retry scheduled (here or handed off to a task queue) or skipped. The part of
:class:`~signalpost.jobs.telemetry.RunTelemetry` that does this is :class:`AttemptTelemetry`;
like the rest of it, every method is failsafe.
"""

from __future__ import annotations

import logging

from signalpost.errors.capture import exception_type_name
from signalpost.errors.classify import ErrorClass
from signalpost.failsafe import failsafe
from signalpost.jobs.metrics import TypeMetrics
from signalpost.jobs.records import RunRecords
from signalpost.jobs.running import RunView
from signalpost.jobs.spans import RunSpans
from signalpost.semconv import attributes as attr
from signalpost.semconv import jobs as sc

__all__ = ["AttemptTelemetry"]

# One shared guard per kind: entering one allocates nothing on the run's path.
_GUARDS = {
    name: failsafe(name)
    for name in (
        "attempt metrics",
        "attempt span",
        "attempt span end",
        "retry metrics",
        "retry span",
        "retry telemetry",
        "run span end",
    )
}
_WARNING = logging.WARNING


class AttemptTelemetry(RunRecords):
    """The attempts' events of one run, mixed into
    :class:`~signalpost.jobs.telemetry.RunTelemetry` (which owns these slots)."""

    __slots__ = ("_spans", "_tm", "label_type")

    _spans: RunSpans
    _tm: TypeMetrics | None
    label_type: str

    def attempt_started(self, number: int, delay: float) -> None:
        """Attempt ``number`` (2 or more) started after ``delay`` seconds of back-off."""
        with _GUARDS["attempt span"]:
            self._spans.begin_attempt(number, delay)

    def retry_skipped(self, run: RunView, delay: float) -> None:
        """A retry was due but its back-off would pass the run's timeout."""
        self.log(
            run,
            _WARNING,
            "job retry skipped: back-off would pass the job timeout",
            "retry_skipped",
            {sc.JOB_RETRY_DELAY: delay},
        )

    def attempt_ended(
        self, exc: BaseException | None, error_class: ErrorClass | None, retried: bool
    ) -> None:
        """The attempt in progress ended with ``exc``; ``retried``: a retry follows."""
        with _GUARDS["attempt span end"]:
            self._spans.end_attempt(exc, error_class, retried)
        metrics = self._job.metrics
        with _GUARDS["attempt metrics"]:
            if error_class is None and self._tm is not None:
                self._tm.attempt_succeeded()
            elif metrics is not None:
                metrics.attempt_finished(
                    self.label_type, str(error_class) if error_class is not None else None
                )

    def retry_scheduled(
        self, run: RunView, delay: float, error_class: ErrorClass, exc: BaseException
    ) -> None:
        """The attempt in progress failed with ``exc``; the next starts after ``delay`` s."""
        with _GUARDS["retry telemetry"]:
            if self._job.metrics is not None:
                self._job.metrics.retry_scheduled(self.label_type, str(error_class))
            self._spans.retry_scheduled(run.attempt, delay, error_class, exc)
        self._log_retry(run, delay, error_class, exc)

    def _log_retry(
        self, run: RunView, delay: float, error_class: ErrorClass, exc: BaseException
    ) -> None:
        self.log(
            run,
            _WARNING,
            "job retry scheduled",
            "retry_scheduled",
            {
                sc.JOB_RETRY_DELAY: delay,
                attr.ERROR_CLASS: str(error_class),
                attr.EXCEPTION_TYPE: exception_type_name(exc),
            },
        )

    def handed_off(
        self, run: RunView, delay: float, error_class: ErrorClass, exc: BaseException
    ) -> None:
        """The attempt in progress failed with ``exc`` and the queue will run the next one
        after ``delay`` seconds, perhaps in another process: this process's part ends here.

        The attempt and the retry are counted, the run span ends with the failure and
        ``job.status=retrying``; the run is not counted as finished.
        """
        metrics, tm = self._job.metrics, self._tm
        with _GUARDS["retry metrics"]:
            if metrics is not None:
                metrics.attempt_finished(self.label_type, str(error_class))
                metrics.retry_scheduled(self.label_type, str(error_class))
            if tm is not None:
                tm.in_progress.dec()
        with _GUARDS["retry span"]:
            self._spans.retry_scheduled(run.attempt, delay, error_class, exc)
            self._spans.hand_off(run.attempt, exc, error_class)
        self._log_retry(run, delay, error_class, exc)
        with _GUARDS["run span end"]:
            self._spans.end_run()
