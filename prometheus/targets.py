"""What Prometheus scrapes: every service's jobs and their targets, and the monitoring stack.

The knobs file lists each service (its ``service`` label, the same value as the app's
``OTEL_SERVICE_NAME``), the scrape jobs of that service (the ``job`` label) and each job's
``host:port`` targets, one per replica. The parts of the monitoring stack are scraped under
fixed job names with the ``monitoring_service`` label.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any

from pydantic import Field
from pydantic_core import PydanticCustomError

__all__ = [
    "DAILY",
    "HOURLY",
    "MONITORING_JOBS",
    "JobName",
    "Jobs",
    "ServiceName",
    "Services",
    "Target",
    "check_consistency",
    "ordered_jobs",
]

Target = Annotated[str, Field(pattern=r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):[0-9]{1,5}$")]
"""A scrape target, ``host:port`` (``[::1]:port`` for an IPv6 address)."""
JobName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.:-]*$")]
ServiceName = Annotated[str, Field(pattern=r"^\S+$")]
Jobs = dict[JobName, Annotated[tuple[Target, ...], Field(min_length=1)]]
"""Scrape job name → its targets (at least one)."""
Services = Annotated[dict[ServiceName, Annotated[Jobs, Field(min_length=1)]], Field(min_length=1)]
"""Service name → its scrape jobs."""

HOURLY = "prometheus-hourly"
DAILY = "prometheus-daily"
MONITORING_JOBS: tuple[str, ...] = (
    "prometheus",
    "alertmanager",
    HOURLY,
    DAILY,
    "otel-collector",
    "tempo",
    "loki",
    "recovery-runner",
)
"""Job names of the monitoring stack's parts (the meta-monitoring alerts select on them)."""


def ordered_jobs(services: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Every job name of every service, once each, in the order of first appearance."""
    return list(dict.fromkeys(job for jobs in services.values() for job in jobs))


def _fail(path: tuple[str | int, ...], why: str) -> PydanticCustomError:
    key = ".".join(str(p) for p in path)
    return PydanticCustomError(
        "inconsistent_knobs", "{key}: {why}", {"key": key, "why": why, "path": path}
    )


def _targets(
    services: Mapping[str, Mapping[str, tuple[str, ...]]],
    monitoring: Mapping[str, tuple[str, ...]],
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    for service, jobs in services.items():
        for job, targets in jobs.items():
            for index, target in enumerate(targets):
                yield ("services", service, job, index), target
    for job, targets in monitoring.items():
        for index, target in enumerate(targets):
            yield ("monitoring_targets", job, index), target


def check_consistency(
    services: Mapping[str, Mapping[str, tuple[str, ...]]],
    monitoring_service: str,
    monitoring: Mapping[str, tuple[str, ...]],
) -> None:
    """Refuse knobs that would scrape something twice or mix the app with the stack.

    Raises:
        PydanticCustomError: The first inconsistency, with the key path in its context.
    """
    if monitoring_service in services:
        raise _fail(
            ("services", monitoring_service),
            "is also monitoring_service: the stack's own targets would count as the app's",
        )
    for service, jobs in services.items():
        for job in jobs:
            if job in monitoring:
                raise _fail(
                    ("services", service, job),
                    "is also a job of monitoring_targets: job names must be unique",
                )
    seen: dict[str, tuple[str | int, ...]] = {}
    for path, target in _targets(services, monitoring):
        if target in seen:
            where = ".".join(str(p) for p in seen[target][:-1])
            raise _fail(path, f"{target} is already a target of {where}: it would be scraped twice")
        seen[target] = path
