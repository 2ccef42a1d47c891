"""What setup() creates is the default of every job and health monitor created afterwards,
and shutting down puts the process-wide state back."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry, Counter

from signalpost import monitored_job, runtime
from signalpost.errors.classify import ErrorClass, ErrorClassifier
from signalpost.health import HealthMonitor, Status
from signalpost.runtime import Runtime
from signalpost.sdk import SetupOptions
from signalpost.sdk.setup import Telemetry, setup

SSN = "078-05-1120"


class LedgerLocked(Exception):
    """Classified ``system`` by default; the set-up's classifier says ``transient``."""


@pytest.fixture
def classifier() -> ErrorClassifier:
    classifier = ErrorClassifier()
    classifier.register(LedgerLocked, ErrorClass.TRANSIENT)
    return classifier


@pytest.fixture
def shared(
    registry: CollectorRegistry, tracer_provider: TracerProvider, classifier: ErrorClassifier
) -> Iterator[Telemetry]:
    telemetry = setup(
        overrides={"errors": {"scrub_keys": ["ssn"]}},
        options=SetupOptions(
            registry=registry,
            tracer_provider=tracer_provider,
            classifier=classifier,
            set_global_providers=False,
            configure_logging=False,
        ),
    )
    yield telemetry
    telemetry.shutdown()


def test_jobs_share_the_setup(
    shared: Telemetry,
    registry: CollectorRegistry,
    span_exporter: InMemorySpanExporter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="signalpost.jobs")

    @monitored_job("payroll", params=lambda employee: {"employee": employee, "ssn": SSN})
    def pay(employee: str) -> None:
        raise LedgerLocked(f"ledger locked while paying {employee}")

    with pytest.raises(LedgerLocked):
        pay("e-17")

    # The scrubber with the configured key: the parameter is filtered everywhere.
    (failed,) = [r for r in caplog.records if getattr(r, "job.event", None) == "failed"]
    assert getattr(failed, "job.parameters.ssn") == "[Filtered]"
    assert getattr(failed, "job.parameters.employee") == "e-17"
    assert SSN not in caplog.text
    assert all(SSN not in str(vars(record)) for record in caplog.records)
    (span,) = span_exporter.get_finished_spans()  # the tracer provider of the set-up
    assert dict(span.attributes or {})["job.parameters.ssn"] == "[Filtered]"
    # The registry and the classifier of the set-up.
    labels = {
        "job_type": "payroll",
        "error_class": "transient",
        "exception_type": f"{__name__}.LedgerLocked",
    }
    assert registry.get_sample_value("signalpost_job_failures_total", labels) == 1
    errors = registry.get_sample_value(
        "signalpost_errors_total",
        {"error_source": "job", "error_class": "transient", "exception_type": labels[
            "exception_type"]},
    )
    assert errors == 1


def test_a_job_given_its_own_collaborators_keeps_them(shared: Telemetry) -> None:
    own = CollectorRegistry()
    with monitored_job("own", runtime=Runtime(registry=own)):
        pass
    labels = {"job_type": "own", "job_status": "succeeded"}
    assert own.get_sample_value("signalpost_job_runs_finished_total", labels) == 1
    assert shared.registry.get_sample_value("signalpost_job_runs_finished_total", labels) is None


async def test_health_monitor_shares_the_setup(
    shared: Telemetry, registry: CollectorRegistry
) -> None:
    monitor = HealthMonitor()

    @monitor.check("ledger")
    def ledger() -> None:
        raise LedgerLocked("locked")

    report = await monitor.run_once()
    state = report.component("ledger")
    assert state.status is Status.UNHEALTHY and state.error_class == "transient"
    value = registry.get_sample_value(
        "signalpost_health_check_status",
        {"health_check_name": "ledger", "health_check_kind": "critical",
         "health_status": "unhealthy"},
    )
    assert value == 1


def test_shutdown_restores_the_defaults_and_the_created_series(
    registry: CollectorRegistry, tracer_provider: TracerProvider
) -> None:
    before = runtime.current()
    probe = CollectorRegistry()
    Counter("probe", "A counter whose _created series shows the process-wide switch.",
            registry=probe).inc()
    assert probe.get_sample_value("probe_created") is not None

    telemetry = setup(
        overrides={"metrics": {"created_series": False}},
        options=SetupOptions(
            registry=registry,
            tracer_provider=tracer_provider,
            set_global_providers=False,
            configure_logging=False,
        ),
    )
    try:
        assert runtime.current() is not before
        assert runtime.current().registry is registry
        assert probe.get_sample_value("probe_created") is None
    finally:
        telemetry.shutdown()
    assert runtime.current() is before
    assert probe.get_sample_value("probe_created") is not None


def test_closing_an_older_setup_keeps_the_newer_defaults(
    registry: CollectorRegistry, tracer_provider: TracerProvider
) -> None:
    before = runtime.current()
    older = setup(
        options=SetupOptions(
            registry=registry,
            tracer_provider=tracer_provider,
            set_global_providers=False,
            configure_logging=False,
        ),
    )
    newer_registry = CollectorRegistry()
    newer = setup(
        options=SetupOptions(
            registry=newer_registry,
            tracer_provider=tracer_provider,
            set_global_providers=False,
            configure_logging=False,
        ),
    )
    older.shutdown()
    assert runtime.current().registry is newer_registry
    newer.shutdown()
    assert runtime.current() is before
