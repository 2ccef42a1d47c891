"""Factories for job tests: a controllable clock and a monitored_job bound to the test's pipes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry

from signalpost.instrumentation.jobs import JobRegistry, MonitoredJob, monitored_job


class FakeClock:
    """A clock that moves only when told to (or when something sleeps on it)."""

    def __init__(self, start: float = 1000.0, wall: float = 1_700_000_000.0) -> None:
        self.now = start
        self.wall_offset = wall - start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return self.now + self.wall_offset

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@pytest.fixture
def clock() -> FakeClock:
    """A fresh fake clock."""
    return FakeClock()


@pytest.fixture
def jobs() -> JobRegistry:
    """A running-jobs registry of the test's own."""
    return JobRegistry()


JobFactory = Callable[..., MonitoredJob]


@pytest.fixture
def make_job(
    registry: CollectorRegistry,
    tracer_provider: TracerProvider,
    clock: FakeClock,
    jobs: JobRegistry,
) -> JobFactory:
    """Return ``monitored_job`` with the test's registry, tracer provider, clock and jobs."""

    def factory(job_type: str = "etl", **kwargs: Any) -> MonitoredJob:
        kwargs.setdefault("registry", registry)
        kwargs.setdefault("tracer_provider", tracer_provider)
        kwargs.setdefault("clock", clock)
        kwargs.setdefault("jobs", jobs)
        return monitored_job(job_type, **kwargs)

    return factory
