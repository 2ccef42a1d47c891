"""Host and process resources through psutil, with thresholds and gauges."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry

from signalpost.health import ResourcesCheck, ResourceThresholds, Status, Threshold
from signalpost.runtime import Runtime


def test_measures_and_sets_host_gauges(tmp_path: Path, registry: CollectorRegistry) -> None:
    check = ResourcesCheck(
        thresholds=ResourceThresholds(
            cpu=Threshold(None, None),
            memory=Threshold(None, None),
            disk=Threshold(None, None),
            open_fds=Threshold(None, None),
        ),
        paths=["/", str(tmp_path)],
        runtime=Runtime(registry=registry),
    )
    result = check.run()
    assert result.status is Status.HEALTHY, result.error
    details = result.details
    assert 0 <= details["memory_utilization"] <= 1
    assert details["process_rss_bytes"] > 1_000_000
    assert details["process_open_fds"] > 0
    assert set(details["disk"]) == {"/", str(tmp_path)}
    # A check judges; the process collector already exports RSS and open descriptors.
    names = {metric.name for metric in registry.collect()}
    assert not any(name.startswith("process_") for name in names), names
    disk = registry.get_sample_value("system_filesystem_utilization_ratio", {"system_filesystem_mountpoint": "/"})
    assert disk is not None and 0 < disk <= 1
    memory = registry.get_sample_value("system_memory_utilization_ratio")
    assert memory is not None and abs(memory - details["memory_utilization"]) < 1e-3
    assert registry.get_sample_value("system_cpu_utilization_ratio") is not None


def test_thresholds_degrade_and_fail(registry: CollectorRegistry) -> None:
    degraded = ResourcesCheck(
        thresholds=ResourceThresholds(
            cpu=Threshold(None, None),
            memory=Threshold(0.0, None),
            disk=Threshold(None, None),
        ),
        runtime=Runtime(registry=registry),
    ).run()
    assert degraded.status is Status.DEGRADED
    assert (degraded.error or "").startswith("memory ")
    assert "(degraded)" in (degraded.error or "")

    unhealthy = ResourcesCheck(
        thresholds=ResourceThresholds(
            cpu=Threshold(None, None),
            memory=Threshold(None, None),
            disk=Threshold(None, None),
            rss_bytes=Threshold(1, 2),
        ),
        runtime=Runtime(registry=registry),
    ).run()
    assert unhealthy.status is Status.UNHEALTHY
    assert "process RSS" in (unhealthy.error or "") and "(unhealthy)" in (unhealthy.error or "")


def test_missing_path_is_named(tmp_path: Path, registry: CollectorRegistry) -> None:
    missing = str(tmp_path / "not-there")
    result = ResourcesCheck(
        thresholds=ResourceThresholds(
            cpu=Threshold(None, None),
            memory=Threshold(None, None),
        ),
        paths=[missing],
        runtime=Runtime(registry=registry),
    ).run()
    assert result.status is Status.UNHEALTHY
    assert f"disk {missing}: " in (result.error or "")


def test_threshold_judgement() -> None:
    threshold = Threshold(0.8, 0.9)
    assert threshold.judge(0.79) is Status.HEALTHY
    assert threshold.judge(0.8) is Status.DEGRADED
    assert threshold.judge(0.95) is Status.UNHEALTHY
    assert Threshold().judge(1e9) is Status.HEALTHY
