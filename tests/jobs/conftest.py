"""Factories for job tests: the fake clock and a monitored_job bound to the test's pipes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry

from signalpost.jobs import MonitoredJob, RunningJobs, monitored_job
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
    """Return ``monitored_job`` with the test's registry, tracer provider, clock and
    running-jobs list."""

    def factory(job_type: str = "etl", **kwargs: Any) -> MonitoredJob:
        kwargs.setdefault("registry", registry)
        kwargs.setdefault("tracer_provider", tracer_provider)
        kwargs.setdefault("clock", clock)
        kwargs.setdefault("running", running)
        return monitored_job(job_type, **kwargs)

    return factory
