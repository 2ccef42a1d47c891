"""The collaborator keywords components took before ``runtime=`` work for one release: they
warn, naming ``runtime=``, and override the runtime's at the moment it is resolved."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import CollectorRegistry

import signalpost.arq
from signalpost.health import CheckSettings
from signalpost.integrations import ProgressSettings
from signalpost.jobs import RunningJobs, monitored_job
from signalpost.runtime import Runtime, deprecated_collaborators

STARTED = "signalpost_job_runs_started_total"


def started(registry: CollectorRegistry, job_type: str) -> float:
    return registry.get_sample_value(STARTED, {"job_type": job_type}) or 0.0


def test_a_deprecated_keyword_warns_and_still_applies() -> None:
    registry, running = CollectorRegistry(), RunningJobs()
    with pytest.warns(DeprecationWarning, match=r"monitored_job\(registry=\) is deprecated: pass runtime="):
        job = monitored_job("old_style", registry=registry, runtime=Runtime(running=running))
    with job:
        assert [r.job_id for r in running.snapshot()] != []
    assert started(registry, "old_style") == 1


def test_runtime_alone_does_not_warn() -> None:
    registry = CollectorRegistry()
    with monitored_job("new_style", runtime=Runtime(registry=registry, running=RunningJobs())):
        pass
    assert started(registry, "new_style") == 1


def test_a_keyword_never_accepted_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'meter_provider'"):
        monitored_job("typo", meter_provider=None)  # in Collaborators, not a job's
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        deprecated_collaborators("x", {"colour": 1}, ("registry",))


async def report(ctx: dict[str, Any], batch: str) -> str:
    return batch


async def test_an_integration_forwards_the_deprecated_keywords_it_warned_about() -> None:
    registry = CollectorRegistry()
    with pytest.warns(DeprecationWarning, match=r"signalpost.arq.monitored_functions\(registry=\)"):
        (function,) = signalpost.arq.monitored_functions(
            [report],
            registry=registry,
            runtime=Runtime(running=RunningJobs()),
            progress=ProgressSettings(publish_interval=None),
        )
    assert await function.coroutine({"job_id": "j-1", "job_try": 1}, "b") == "b"
    assert started(registry, "report") == 1


def test_the_database_instrumentation_warns_the_same_way() -> None:
    from signalpost.database import DatabaseInstrumentation

    with pytest.warns(DeprecationWarning, match=r"DatabaseInstrumentation\(clock=, registry=\)"):
        DatabaseInstrumentation(registry=CollectorRegistry(), clock=None)


def test_the_health_monitor_and_the_breaker_warn_the_same_way() -> None:
    from signalpost.breaker import CircuitBreaker
    from signalpost.health import HealthMonitor

    registry = CollectorRegistry()
    with pytest.warns(DeprecationWarning, match=r"HealthMonitor\(registry=\) is deprecated"):
        monitor = HealthMonitor(registry=registry)
    monitor.report()  # resolves the runtime: the overall gauge lands in the given registry
    assert registry.get_sample_value("signalpost_health_status", {"health_status": "healthy"}) == 1
    with pytest.warns(DeprecationWarning, match=r"CircuitBreaker\(registry=\) is deprecated"):
        CircuitBreaker("old", registry=registry)
    state = {"circuit_breaker_name": "old", "circuit_breaker_state": "closed"}
    assert registry.get_sample_value("signalpost_circuit_breaker_state", state) == 1


def test_a_check_still_takes_its_clock_with_a_warning() -> None:
    from signalpost.health import TcpCheck
    from tests.fake_clock import FakeClock

    with pytest.warns(DeprecationWarning, match=r"TcpCheck\(clock=\) is deprecated"):
        TcpCheck("127.0.0.1", 1, settings=CheckSettings(name="tcp"), clock=FakeClock())


def test_the_warning_names_the_callers_line() -> None:
    with pytest.warns(DeprecationWarning) as caught:
        monitored_job("here", clock=None)
    with pytest.warns(DeprecationWarning) as forwarded:
        signalpost.arq.monitored_functions(
            [report],
            clock=None,
            progress=ProgressSettings(publish_interval=None),
        )
    assert [w.filename for w in (*caught, *forwarded)] == [__file__, __file__]


def test_the_host_gauges_land_in_the_runtime_resolved_at_the_first_run() -> None:
    from signalpost.health import ResourcesCheck
    from signalpost.runtime import install

    check = ResourcesCheck()  # made before set-up installs its runtime
    registry = CollectorRegistry()
    undo = install(Runtime(registry=registry))
    try:
        check.run()
    finally:
        undo()
    assert registry.get_sample_value("system_memory_utilization_ratio") is not None
    with pytest.warns(DeprecationWarning, match=r"ResourcesCheck\(registry=\) is deprecated"):
        ResourcesCheck(registry=CollectorRegistry())


def test_the_middleware_keywords_warn_once_and_still_apply() -> None:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from signalpost.http.middleware import HttpOptions, SignalpostMiddleware

    async def hello(request: Any) -> PlainTextResponse:
        return PlainTextResponse("hi")

    inner = Starlette(routes=[Route("/hi", hello)])
    registry = CollectorRegistry()
    with pytest.warns(DeprecationWarning) as caught:
        old = SignalpostMiddleware(
            inner, registry=registry, tracing=False, request_id_header="X-Trace-Me"
        )
    (warning,) = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    message = str(warning.message)
    assert "(registry=, request_id_header=, tracing=)" in message
    assert "options=HttpOptions(...)" in message and "runtime=Runtime(...)" in message
    assert warning.filename == __file__
    response = TestClient(old).get("/hi")
    assert response.headers["X-Trace-Me"]
    counted = [
        sample.value
        for family in registry.collect()
        for sample in family.samples
        if sample.name == "http_server_request_duration_seconds_count"
    ]
    assert counted == [1.0]  # recorded in the registry the deprecated keyword named
    new = SignalpostMiddleware(
        inner,
        runtime=Runtime(registry=CollectorRegistry()),
        options=HttpOptions(tracing=False, request_id_header="X-Trace-Me"),
    )
    assert TestClient(new).get("/hi").headers["X-Trace-Me"]
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        SignalpostMiddleware(inner, colour="blue")
