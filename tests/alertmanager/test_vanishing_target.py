"""A dead worker whose target service discovery removes: `up` goes absent, not 0. With real
Prometheus 2.42 and Alertmanager 0.25, ServiceDown keeps firing (no RESOLVED page while the
worker is still dead), and the app's own ServiceDown never fires."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from alertmanager.generate import render
from prometheus.catalog import Alert
from prometheus.knobs import load_knobs
from tests.alertmanager.harness import AlertmanagerServer, WebhookCatcher, local_knobs
from tests.alertmanager.posting import settle
from tests.alertmanager.prometheus_server import PrometheusServer, scrape
from tests.servers import free_port, wait_for

SERVICE = "shop"


@pytest.fixture
def catcher() -> Iterator[WebhookCatcher]:
    server = WebhookCatcher()
    yield server
    server.close()


def _service_down(alerts: list[dict[str, Any]], job: str) -> list[dict[str, Any]]:
    return [a for a in alerts if a["labels"]["alertname"] == Alert.SERVICE_DOWN
            and a["labels"].get("service") == SERVICE and a["labels"].get("job") == job]


def test_a_dead_worker_whose_target_vanishes_is_not_reported_resolved(
    tmp_path: Path, catcher: WebhookCatcher
) -> None:
    knobs_file = tmp_path / "knobs.yaml"
    knobs_file.write_text(yaml.safe_dump({
        "services": {SERVICE: {"app": ["app:8000"], "worker": ["worker:8000"]}},
        # `for`: long enough for the app's first scrape (before it, its `up` is absent too).
        # No keep_firing_for: it would hide the vanishing (and this tests the absent branch).
        "alerts": {"service_down": {"for": "10s", "keep_firing_for": "0s"}},
    }))
    knobs = load_knobs(knobs_file)
    discovered = tmp_path / "workers.json"
    dead = f"127.0.0.1:{free_port()}"  # nothing listens: the worker is dead
    discovered.write_text(json.dumps([{"targets": [dead], "labels": {"service": SERVICE}}]))
    am_knobs = local_knobs(pager_url=f"{catcher.url}/pager", history_url=f"{catcher.url}/history",
                           watchdog_url=f"{catcher.url}/watchdog")
    alertmanager = AlertmanagerServer(render(am_knobs))
    try:
        prometheus = PrometheusServer(knobs, alertmanager, [
            scrape("app", SERVICE, "{self}"),
            {"job_name": "worker",
             "file_sd_configs": [{"files": [str(discovered)], "refresh_interval": "1s"}]},
        ])
        try:
            _check(prometheus, alertmanager, catcher, discovered)
        finally:
            prometheus.stop()
    finally:
        alertmanager.stop()


def _check(
    prometheus: PrometheusServer,
    alertmanager: AlertmanagerServer,
    catcher: WebhookCatcher,
    discovered: Path,
) -> None:
    wait_for(lambda: _service_down(catcher.alerts("/pager"), "worker"),
             what="the worker's ServiceDown page", timeout=60)

    discovered.write_text("[]")  # service discovery drops the dead worker
    def worker_targets() -> list[Any]:
        targets: list[dict[str, Any]] = prometheus.get("/api/v1/targets")["activeTargets"]
        return [t for t in targets if t["labels"]["job"] == "worker"]

    wait_for(lambda: not worker_targets(), what="the worker's target to vanish")
    wait_for(lambda: not prometheus.query('up{job="worker"}'), what="the worker's up to vanish")
    now = float(prometheus.get("/api/v1/query", query="time()")["result"][1])
    evaluated = (
        'prometheus_rule_group_last_evaluation_timestamp_seconds'
        f'{{rule_group=~".*;signalpost.availability"}} > {now + 3}'
    )
    wait_for(lambda: prometheus.query(evaluated), what="three evaluations without the target")

    firing = _service_down(prometheus.get("/api/v1/alerts")["alerts"], "worker")
    assert [a["state"] for a in firing] == ["firing"]
    settle(alertmanager, catcher)
    pages = _service_down(catcher.alerts("/pager"), "worker")
    assert {a["status"] for a in pages} == {"firing"}, pages
    assert _service_down(catcher.alerts("/pager"), "app") == []
