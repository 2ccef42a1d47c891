"""arq behind the integrations' contract: ``instrument`` returns an installation whose
``uninstrument`` stops only its own monitoring (the shape of ``signalpost.celery``)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

import signalpost.arq
from signalpost.integrations import Instrumentation, ProgressSettings
from signalpost.jobs.running import RunningJobs
from signalpost.runtime import Runtime

RUNS = "signalpost_job_runs_finished_total"


async def report(ctx: dict[str, Any], batch: str) -> str:
    return batch


async def digest(ctx: dict[str, Any], batch: str) -> str:
    return batch * 2


def finished(registry: CollectorRegistry, job_type: str) -> float:
    labels = {"job_type": job_type, "job_status": "succeeded"}
    return registry.get_sample_value(RUNS, labels) or 0.0


async def test_uninstrumenting_one_installation_keeps_the_other() -> None:
    first_registry, second_registry = CollectorRegistry(), CollectorRegistry()
    first = signalpost.arq.instrument(
        [report],
        runtime=Runtime(registry=first_registry, running=RunningJobs()),
        progress=ProgressSettings(publish_interval=None),
    )
    second = signalpost.arq.instrument(
        [digest],
        runtime=Runtime(registry=second_registry, running=RunningJobs()),
        progress=ProgressSettings(publish_interval=None),
    )
    contract: Instrumentation = first  # both integrations keep one contract
    (monitored_report,) = first.functions
    (monitored_digest,) = second.functions
    ctx: dict[str, Any] = {"job_id": "j-1", "job_try": 1}

    assert await monitored_report.coroutine(ctx, "b-1", signalpost_trace={}) == "b-1"
    assert finished(first_registry, "report") == 1

    contract.uninstrument()
    contract.uninstrument()  # idempotent
    # The trace argument added by enqueue is still removed: the job runs as if never wrapped.
    assert await monitored_report.coroutine(ctx, "b-2", signalpost_trace={}) == "b-2"
    assert finished(first_registry, "report") == 1
    assert await monitored_digest.coroutine(ctx, "b") == "bb"
    assert finished(second_registry, "digest") == 1


async def test_monitored_functions_still_takes_any_monitor_option() -> None:
    registry = CollectorRegistry()
    (function,) = signalpost.arq.monitored_functions(
        [report],
        runtime=Runtime(registry=registry, running=RunningJobs()),
        logger=logging.getLogger("tests.arq"),  # a MonitoredJob option instrument() lacks
        progress=ProgressSettings(publish_interval=None),
    )
    assert (function.name, function.max_tries) == ("report", 1)
    assert await function.coroutine({"job_id": "j-1", "job_try": 1}, "b") == "b"
    assert finished(registry, "report") == 1


def test_a_publisher_needs_a_positive_interval() -> None:
    with pytest.raises(ValueError, match="interval"):
        signalpost.arq.instrument([report], progress=ProgressSettings(publish_interval=0))
