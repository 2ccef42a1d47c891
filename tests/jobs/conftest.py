"""Factories for job tests: the fake clock and a monitored_job bound to the test's pipes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry

from signalpost.jobs import JobOptions, MonitoredJob, RunningJobs, monitored_job
from signalpost.jobs.options import OPTION_NAMES
from signalpost.runtime import Collaborators, Runtime
from tests.fake_clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    """A fresh fake clock."""
    return FakeClock()


@pytest.fixture
def running() -> RunningJobs:
    """A running-jobs list of the test's own."""
    return RunningJobs()


JobFactory = Callable[..., MonitoredJob]


@pytest.fixture
def make_job(
    registry: CollectorRegistry,
    tracer_provider: TracerProvider,
    clock: FakeClock,
    running: RunningJobs,
) -> JobFactory:
    """Return ``monitored_job`` with a runtime of the test's registry, tracer provider, clock
    and running-jobs list; a collaborator given by name (``classifier=``, ``scrubber=``,
    ``clock=`` ...) replaces the test's, ``None`` the process-wide default."""
    collaborators = set(Collaborators.__annotations__)

    def factory(job_type: str = "etl", **kwargs: Any) -> MonitoredJob:
        parts: dict[str, Any] = {
            "registry": registry, "tracer_provider": tracer_provider, "clock": clock,
            "running": running,
        }
        for name in [name for name in kwargs if name in collaborators]:
            value = kwargs.pop(name)
            if value is None:
                parts.pop(name, None)
            else:
                parts[name] = value
        chosen = {name: kwargs.pop(name) for name in OPTION_NAMES if name in kwargs}
        options = JobOptions(**chosen) if chosen else None
        return monitored_job(job_type, runtime=Runtime(**parts), options=options, **kwargs)

    return factory
