"""A check that stopped running turns unhealthy in the metrics, not only in ``/health``: the
status gauges are read at collect time, and the generated rules fire HealthCheckFailing on what
a real monitor exports (promtool runs the committed recording and alerting rules on it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from prometheus.catalog import Alert
from prometheus.generate import HERE
from prometheus.knobs import load_knobs
from signalpost.health import FunctionCheck, HealthMonitor
from signalpost.runtime import Runtime
from signalpost.semconv import health as semconv
from signalpost.serving.metrics import resolve_registry
from tests.fake_clock import SteppedClock

ROOT = Path(__file__).resolve().parents[2]
STATUS = semconv.CHECK_STATUS.name
OVERALL = semconv.HEALTH_STATUS.name


def _status(registry: CollectorRegistry, check: str) -> dict[str, float | None]:
    return {
        status: registry.get_sample_value(
            STATUS,
            {"health_check_name": check, "health_check_kind": "critical", "health_status": status},
        )
        for status in ("healthy", "degraded", "unhealthy")
    }


def _exported(registry: CollectorRegistry) -> dict[str, float]:
    """The check-status series as scraped: exposition text, parsed back."""
    text = generate_latest(registry).decode()
    return {
        ", ".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        if family.name == STATUS
        for sample in family.samples
    }


@pytest.fixture
async def stale() -> tuple[dict[str, float], dict[str, float]]:
    """A monitor whose check ran once and then stopped (its task gets no turn while the clock
    moves past the staleness limit): the exported series before and after."""
    registry = CollectorRegistry()
    clock = SteppedClock()
    monitor = HealthMonitor(runtime=Runtime(registry=registry, clock=clock))
    monitor.add(FunctionCheck("cache", lambda: True, interval=10, timeout=1))
    await monitor.start(wait=True)
    try:
        assert _status(registry, "cache") == {"healthy": 1, "degraded": 0, "unhealthy": 0}
        assert registry.get_sample_value(OVERALL, {"health_status": "healthy"}) == 1
        before = _exported(registry)
        clock.advance(3 * 10 + 1 + 1)  # past stale_after * interval + timeout, no await
        assert monitor.report().component("cache").status.value == "unhealthy"
        assert _status(registry, "cache") == {"healthy": 0, "degraded": 0, "unhealthy": 1}
        assert registry.get_sample_value(OVERALL, {"health_status": "unhealthy"}) == 1
        assert registry.get_sample_value(OVERALL, {"health_status": "healthy"}) == 0
        return before, _exported(registry)
    finally:
        await monitor.stop()


async def test_a_recovered_check_reads_healthy_again() -> None:
    registry = CollectorRegistry()
    clock = SteppedClock()
    monitor = HealthMonitor(runtime=Runtime(registry=registry, clock=clock))
    monitor.add(FunctionCheck("cache", lambda: True, interval=10, timeout=1))
    await monitor.start(wait=True)
    try:
        clock.advance(32)
        assert _status(registry, "cache")["unhealthy"] == 1
        await monitor.run_once()  # the check runs again
        assert _status(registry, "cache") == {"healthy": 1, "degraded": 0, "unhealthy": 0}
    finally:
        await monitor.stop()


def test_the_generated_rules_fire_on_a_stale_check(
    stale: tuple[dict[str, float], dict[str, float]], tmp_path: Path
) -> None:
    before, after = stale
    target = f'service="{load_knobs().services[0]}", job="app", instance="app:8000"'
    series = [
        {"series": f"{STATUS}{{{labels}, {target}}}",
         "values": f"{before[labels]:g}x10 {after[labels]:g}x30"}
        for labels in before
    ]
    firing = (
        f'count(ALERTS{{alertname="{Alert.HEALTH_CHECK_FAILING}", alertstate="firing", '
        f'health_check_name="cache", severity="warning"}}) or vector(0)'
    )
    tests = {
        "rule_files": [str(HERE / "rules" / "recording.rules.yml"),
                       str(HERE / "rules" / "alerts.rules.yml")],
        "evaluation_interval": "1m",
        "tests": [{
            "interval": "1m",
            "input_series": series,
            "promql_expr_test": [
                # Healthy while the check runs; firing once stale for the alert's `for`.
                {"expr": firing, "eval_time": "9m", "exp_samples": [{"labels": "{}", "value": 0}]},
                {"expr": firing, "eval_time": "25m",
                 "exp_samples": [{"labels": "{}", "value": 1}]},
            ],
        }],
    }
    path = tmp_path / "stale.test.yml"
    path.write_text(yaml.safe_dump(tests), encoding="utf-8")
    done = subprocess.run(["promtool", "test", "rules", str(path)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_multiprocess_files_show_a_dead_check_s_task_unhealthy(tmp_path: Path) -> None:
    """Multiprocess mode reads files, not functions: the stale status is written there as soon
    as another check of the monitor records a result."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    subprocess.run(
        [sys.executable, "-m", "tests.health.stale_multiprocess"],
        cwd=ROOT, env=env, check=True, timeout=120,
    )
    registry = resolve_registry(environ={"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)})
    assert _status(registry, "cache") == {"healthy": 0, "degraded": 0, "unhealthy": 1}
    assert _status(registry, "queue") == {"healthy": 1, "degraded": 0, "unhealthy": 0}
