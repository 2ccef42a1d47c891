"""A check's state after a run, and the log record of a change of status.

A failure (also when a check fails from its first run), a degradation and a recovery are each
logged once on ``signalpost.health``, not on every run.
"""

from __future__ import annotations

import logging

from signalpost.health.check import HealthCheck
from signalpost.health.report import ComponentHealth
from signalpost.health.result import CheckResult, Status
from signalpost.loggers import HEALTH_LOGGER_NAME
from signalpost.semconv import health as semconv

__all__ = ["log_change", "next_state"]

_log = logging.getLogger(HEALTH_LOGGER_NAME)


def next_state(
    previous: ComponentHealth,
    check: HealthCheck,
    result: CheckResult,
    latency: float,
    error_class: str | None,
    now: float,
) -> ComponentHealth:
    """The state of ``check`` after a run that gave ``result`` at ``now``."""
    success = result.status is not Status.UNHEALTHY
    error = result.error
    if error is None and result.status is not Status.HEALTHY:
        error = result.status.value
    return ComponentHealth(
        name=check.name,
        critical=check.critical,
        status=result.status,
        latency_seconds=latency,
        details=result.details,
        error=error,
        error_class=error_class,
        checked_at=now,
        last_success_at=now if success else previous.last_success_at,
        consecutive_failures=0 if success else previous.consecutive_failures + 1,
    )


def log_change(previous: ComponentHealth, state: ComponentHealth) -> None:
    """Log a change of status; the first result counts as one unless it is healthy."""
    first = previous.checked_at is None
    if not first and state.status is previous.status:
        return
    extra = {semconv.CHECK_NAME: state.name, semconv.STATUS: state.status.value}
    if state.status is Status.HEALTHY:
        if not first:
            _log.info(
                "health check %r recovered (was %s)",
                state.name,
                previous.status.value,
                extra=extra,
            )
        return
    _log.warning(
        "health check %r is %s: %s",
        state.name,
        state.status.value,
        state.error,
        extra=extra,
    )
