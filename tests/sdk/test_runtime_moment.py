"""Every component resolves the runtime on first use, not when it is built: a component
written before ``setup()`` (the README's order) records where set-up says."""

from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import REGISTRY, CollectorRegistry

from signalpost import runtime
from signalpost.health import HealthMonitor
from signalpost.jobs import RunningJobs, monitored_job
from signalpost.sdk import SetupOptions
from signalpost.sdk.setup import setup

CHECK = "built_before_setup"


def status(registry: CollectorRegistry, name: str = CHECK) -> float | None:
    return registry.get_sample_value(
        "signalpost_health_check_status",
        {"health_check_name": name, "health_check_kind": "critical", "health_status": "healthy"},
    )


async def test_a_monitor_built_before_setup_records_in_the_setups_registry(
    registry: CollectorRegistry, tracer_provider: TracerProvider
) -> None:
    monitor = HealthMonitor()
    monitor.check(CHECK)(lambda: True)
    telemetry = setup(
        options=SetupOptions(
            registry=registry,
            tracer_provider=tracer_provider,
            set_global_providers=False,
            configure_logging=False,
        ),
    )
    try:
        await monitor.run_once()
    finally:
        telemetry.shutdown()

    assert status(registry) == 1.0
    count = "signalpost_health_check_duration_seconds_count"
    assert (
        registry.get_sample_value(
            count, {"health_check_name": CHECK, "health_check_kind": "critical"}
        )
        == 1
    )
    assert status(REGISTRY) is None


async def test_a_monitor_keeps_the_runtime_it_resolved_first(
    registry: CollectorRegistry,
) -> None:
    mine = runtime.Runtime(registry=registry)
    undo = runtime.install(mine)
    monitor = HealthMonitor()
    monitor.check("first")(lambda: True)
    await monitor.run_once()
    undo()
    await monitor.run_once()  # the runtime in force changed; the monitor's did not
    count = "signalpost_health_check_duration_seconds_count"
    assert (
        registry.get_sample_value(
            count, {"health_check_name": "first", "health_check_kind": "critical"}
        )
        == 2
    )


async def test_a_monitor_given_a_runtime_uses_it() -> None:
    registry = CollectorRegistry()
    monitor = HealthMonitor(runtime=runtime.Runtime(registry=registry))
    monitor.check(CHECK)(lambda: True)
    await monitor.run_once()
    assert status(registry) == 1.0


def test_a_job_given_a_runtime_records_there_and_lists_its_runs_there() -> None:
    registry = CollectorRegistry()
    mine = runtime.Runtime(registry=registry, running=RunningJobs())
    job = monitored_job("given", runtime=mine)
    with job:
        assert [r.job_type for r in mine.running.snapshot()] == ["given"]
    finished = "signalpost_job_runs_finished_total"
    assert any(
        sample.name == finished and sample.labels.get("job_type") == "given" and sample.value == 1
        for family in registry.collect()
        for sample in family.samples
    )


def test_a_workers_checks_started_by_setup_record_in_its_registry(
    registry: CollectorRegistry, tracer_provider: TracerProvider
) -> None:
    monitor = HealthMonitor()
    monitor.check("worker_check")(lambda: True)
    telemetry = setup(  # no app: setup starts the checks in a thread, after one round
        health=monitor,
        options=SetupOptions(
            registry=registry,
            tracer_provider=tracer_provider,
            set_global_providers=False,
            configure_logging=False,
        ),
    )
    try:
        assert status(registry, "worker_check") == 1.0
    finally:
        telemetry.shutdown()
