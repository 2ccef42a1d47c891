"""End to end with an app that is not the demo, on real Prometheus 2.42 and Alertmanager 0.25.

The inventory app (``tests/e2e/other_app/``) is one service, ``inventory``, with two scrape
jobs, ``api`` (uvicorn) and ``worker`` (a ``restock`` job every 0.2 s), and its own knobs file
(short ``for`` durations, 1 s scrape and evaluation intervals). Its rules and prometheus.yml are
generated from those knobs with the targets moved to free ports; Alertmanager runs the
generated routing tree and inhibition with webhook and SMTP catchers. Faults the demo never
injects: bad supplier data (the job fails for good), a killed worker, a backend outage behind
the API. The tests run in file order and share the processes.
"""

from __future__ import annotations

import shutil
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from alertmanager.generate import render as render_alertmanager
from prometheus.catalog import Alert, Severity
from prometheus.config import command_line, with_targets
from prometheus.generate import render as render_prometheus
from prometheus.knobs import Knobs, load_knobs
from tests.alertmanager.conftest import SmtpSink
from tests.alertmanager.harness import AlertmanagerServer, WebhookCatcher, local_knobs
from tests.servers import Server, free_port, serve, uvicorn_command, wait_for

pytestmark = pytest.mark.slow

KNOBS = Path(__file__).parent / "other_app" / "knobs.yaml"
SERVICE = "inventory"
EXPECTED = {
    Alert.WATCHDOG,
    Alert.JOB_FAILED,
    Alert.SERVICE_DOWN,
    Alert.SERVICE_DOWN_AFTERMATH,  # fires with ServiceDown, notifies no one
    Alert.ERROR_BUDGET_BURN_FAST,
}
"""Every alert the faults below may fire; any other firing alert is noise."""


@dataclass
class Inventory:
    """The running app, its monitoring and the catchers."""

    knobs: Knobs
    prometheus_url: str
    api: Server
    worker: Server
    alertmanager: AlertmanagerServer
    catcher: WebhookCatcher
    fault_file: Path

    def query(self, expr: str) -> list[dict[str, Any]]:
        answer = httpx.get(f"{self.prometheus_url}/api/v1/query", params={"query": expr})
        answer.raise_for_status()
        result: list[dict[str, Any]] = answer.json()["data"]["result"]
        return result

    def firing(self, name: str) -> list[dict[str, Any]]:
        answer = httpx.get(f"{self.prometheus_url}/api/v1/alerts").json()
        return [
            a
            for a in answer["data"]["alerts"]
            if a["labels"]["alertname"] == name and a["state"] == "firing"
        ]

    def managed(self, name: str) -> list[dict[str, Any]]:
        return [a for a in self.alertmanager.alerts() if a["labels"]["alertname"] == name]


def _until(what: str, check: Any) -> Any:
    return wait_for(check, what, timeout=60, every=0.25)


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Inventory]:
    tmp = tmp_path_factory.mktemp("inventory")
    catcher, smtp = WebhookCatcher(), SmtpSink()
    am_knobs = local_knobs(
        pager_url=f"{catcher.url}/pager",
        history_url=f"{catcher.url}/history",
        watchdog_url=f"{catcher.url}/watchdog",
        smtp_port=smtp.port,
    )
    alertmanager = AlertmanagerServer(render_alertmanager(am_knobs))
    api_port, worker_port, prom_port = free_port(), free_port(), free_port()
    knobs = with_targets(
        load_knobs(KNOBS),
        {SERVICE: {"api": [f"127.0.0.1:{api_port}"], "worker": [f"127.0.0.1:{worker_port}"]}},
        {
            "prometheus": [f"127.0.0.1:{prom_port}"],
            "alertmanager": [f"127.0.0.1:{alertmanager.port}"],
        },
    )
    config_dir = tmp / "prometheus"
    for rel, text in render_prometheus(knobs, with_tests=False).items():
        (config_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        (config_dir / rel).write_text(text, encoding="utf-8")
    binary = shutil.which("prometheus")
    assert binary, "prometheus missing: run scripts/bootstrap.sh"
    prometheus_url = f"http://127.0.0.1:{prom_port}"
    flags = command_line(
        "main",
        str(config_dir / "prometheus.yml"),
        str(tmp / "data"),
        f"127.0.0.1:{prom_port}",
        prometheus_url,
    )
    app_env = {"OTEL_SERVICE_NAME": SERVICE}
    fault_file = tmp / "bad-supplier-data"
    stop = threading.Event()
    try:
        with (
            serve([binary, *flags], prometheus_url, tmp / "prometheus.log", ready_path="/-/ready")
            as _prometheus,
            serve(
                uvicorn_command("tests.e2e.other_app.api:app", api_port),
                f"http://127.0.0.1:{api_port}",
                tmp / "api.log",
                env=app_env,
            ) as api,
            serve(
                [sys.executable, "-m", "tests.e2e.other_app.worker"],
                f"http://127.0.0.1:{worker_port}",
                tmp / "worker.log",
                env={
                    **app_env,
                    "SIGNALPOST_METRICS_PORT": str(worker_port),
                    "SIGNALPOST_METRICS_ADDRESS": "127.0.0.1",
                    "INVENTORY_FAULT_FILE": str(fault_file),
                },
            ) as worker,
        ):  # fmt: skip

            def traffic() -> None:  # about 20 lookups a second
                with httpx.Client(base_url=api.base_url, timeout=5) as client:
                    n = 0
                    while not stop.wait(0.05):
                        n += 1
                        client.get(f"/items/{n % 50}")

            feeder = threading.Thread(target=traffic, daemon=True)
            feeder.start()
            yield Inventory(
                knobs, prometheus_url, api, worker, alertmanager, catcher, fault_file
            )
            stop.set()
            feeder.join(timeout=10)
    finally:
        stop.set()
        alertmanager.stop()
        catcher.close()
        smtp.close()


def test_every_job_is_scraped_and_nothing_fires_at_rest(inventory: Inventory) -> None:
    up = f'up{{service="{SERVICE}"}} == 1'
    _until("both jobs scraped", lambda: len(inventory.query(up)) == 2)
    _until(
        "the stack scraped as monitoring",
        lambda: len(inventory.query('up{service="monitoring"} == 1')) == 2,
    )
    iterations = 'max(prometheus_rule_group_iterations_total{rule_group=~".*alerts.rules.yml.*"})'
    start = float(inventory.query(iterations)[0]["value"][1])
    # Five evaluations with data: long enough for any rule that would fire on a healthy app to
    # be at least pending.
    _until(
        "five alert evaluations",
        lambda: float(inventory.query(iterations)[0]["value"][1]) >= start + 5,
    )
    active = {a["metric"]["alertname"] for a in inventory.query("ALERTS")}
    assert active == {Alert.WATCHDOG}


def test_bad_supplier_data_fires_job_failed_with_a_link_back(inventory: Inventory) -> None:
    inventory.fault_file.touch()
    try:
        (alert,) = _until("JobFailed for restock", lambda: inventory.firing(Alert.JOB_FAILED))
    finally:
        inventory.fault_file.unlink()
    labels = alert["labels"]
    assert (labels["service"], labels["job_type"]) == (SERVICE, "restock")
    assert labels["severity"] == Severity.WARNING
    assert labels["error_class"] == "data"
    history = _until(
        "the JobFailed notification",
        lambda: [
            a
            for a in inventory.catcher.alerts("/history")
            if a["labels"]["alertname"] == Alert.JOB_FAILED
        ],
    )
    # Links in notifications lead to this Prometheus (its --web.external-url).
    assert history[0]["generatorURL"].startswith(inventory.prometheus_url + "/graph")


def test_a_killed_worker_fires_service_down_for_its_job_only(inventory: Inventory) -> None:
    inventory.worker.process.kill()
    (alert,) = _until("ServiceDown", lambda: inventory.firing(Alert.SERVICE_DOWN))
    assert (alert["labels"]["service"], alert["labels"]["job"]) == (SERVICE, "worker")
    _until(
        "the ServiceDown page",
        lambda: [
            a
            for a in inventory.catcher.alerts("/pager")
            if a["labels"]["alertname"] == Alert.SERVICE_DOWN
        ],
    )


def test_an_api_outage_pages_while_the_worker_is_down(inventory: Inventory) -> None:
    assert inventory.firing(Alert.SERVICE_DOWN), "the worker is still down"
    httpx.put(f"{inventory.api.base_url}/outage", params={"on": True}).raise_for_status()
    try:
        burns = _until(
            "ErrorBudgetBurnFast", lambda: inventory.firing(Alert.ERROR_BUDGET_BURN_FAST)
        )
        assert {b["labels"]["service"] for b in burns} == {SERVICE}
        managed = _until(
            "ErrorBudgetBurnFast in Alertmanager",
            lambda: inventory.managed(Alert.ERROR_BUDGET_BURN_FAST),
        )
        # Another job's outage explains nothing about the API's errors.
        assert [m["status"]["inhibitedBy"] for m in managed] == [[]] * len(managed)
        assert {m["status"]["state"] for m in managed} == {"active"}
        _until(
            "the ErrorBudgetBurnFast page",
            lambda: [
                a
                for a in inventory.catcher.alerts("/pager")
                if a["labels"]["alertname"] == Alert.ERROR_BUDGET_BURN_FAST
            ],
        )
    finally:
        httpx.put(f"{inventory.api.base_url}/outage", params={"on": False}).raise_for_status()


def test_only_the_expected_alerts_fired(inventory: Inventory) -> None:
    fired = {
        a["metric"]["alertname"]
        for a in inventory.query('max_over_time(ALERTS{alertstate="firing"}[15m])')
    }
    assert {Alert.JOB_FAILED, Alert.SERVICE_DOWN, Alert.ERROR_BUDGET_BURN_FAST} <= fired
    assert fired <= EXPECTED, f"unrelated alerts fired: {sorted(fired - EXPECTED)}"
