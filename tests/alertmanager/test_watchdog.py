"""The dead man's switch, end to end: a real Prometheus 2.42 evaluating the generated rules sends
the Watchdog to a real Alertmanager 0.25 running the generated routes, which delivers it to the
switch's URL (the ``receivers.watchdog.url`` knob) again and again, and to nobody else.

The same small stack (Prometheus scraping itself and Alertmanager under the monitoring service,
with a roll-up remote write) shows that the meta-alerts evaluate without error on what these
versions really expose, and that none of them fires on a healthy stack.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from alertmanager.generate import render
from prometheus import selfmetrics as m
from prometheus.catalog import Alert
from prometheus.knobs import load_knobs
from tests.alertmanager.harness import AlertmanagerServer, WebhookCatcher, local_knobs
from tests.alertmanager.prometheus_server import PrometheusServer, scrape
from tests.servers import free_port, wait_for

PINGS = 3


@pytest.fixture(scope="module")
def switch() -> Iterator[WebhookCatcher]:
    server = WebhookCatcher()
    yield server
    server.close()


@pytest.fixture(scope="module")
def stack(switch: WebhookCatcher) -> Iterator[PrometheusServer]:
    knobs = local_knobs(
        pager_url=f"{switch.url}/pager",
        history_url=f"{switch.url}/history",
        watchdog_url=f"{switch.url}/deadmans-switch",
    )
    # The switch expects a ping every watchdog_interval (5m in the knobs; 1s here).
    knobs = knobs.with_receivers(timing=replace(knobs.timing, watchdog_interval="1s"))
    alertmanager = AlertmanagerServer(render(knobs))
    try:
        mon = load_knobs().monitoring_service
        prometheus = PrometheusServer(
            load_knobs(),
            alertmanager,
            [scrape(m.PROMETHEUS_JOB, mon, "{self}"),
             scrape("alertmanager", mon, alertmanager.url.removeprefix("http://"))],
            remote_write=[
                {
                    "name": "rollup-1h",
                    "url": f"http://127.0.0.1:{free_port()}/api/v1/write",
                    "write_relabel_configs": [
                        {"source_labels": ["__name__"], "regex": "nothing", "action": "keep"}
                    ],
                }
            ],
        )
        try:
            yield prometheus
        finally:
            prometheus.stop()
    finally:
        alertmanager.stop()


def test_the_watchdog_reaches_its_switch_repeatedly_and_nobody_else(
    stack: PrometheusServer, switch: WebhookCatcher
) -> None:
    def pings() -> list[dict[str, Any]]:
        return [b for b in switch.received("/deadmans-switch")
                if b["commonLabels"].get("alertname") == Alert.WATCHDOG]

    wait_for(lambda: len(pings()) >= PINGS, what=f"{PINGS} Watchdog pings", timeout=120)
    first = pings()[0]
    assert first["receiver"] == "watchdog"
    assert first["status"] == "firing"
    assert first["commonLabels"] == {"alertname": "Watchdog", "severity": "none",
                                     "service": load_knobs().monitoring_service}
    everywhere_else = [a for path in ("/pager", "/history") for a in switch.alerts(path)]
    assert [a for a in everywhere_else if a["labels"]["alertname"] == Alert.WATCHDOG] == []


def test_meta_alerts_evaluate_on_real_metrics_and_stay_quiet_on_a_healthy_stack(
    stack: PrometheusServer,
) -> None:
    mon = load_knobs().monitoring_service
    names = (
        m.UP,
        m.PROMETHEUS_RULE_EVALUATION_FAILURES,
        m.PROMETHEUS_RULE_GROUP_ITERATIONS_MISSED,
        m.PROMETHEUS_RULE_GROUP_LAST_EVALUATION,
        m.PROMETHEUS_RULE_GROUP_INTERVAL,
        m.PROMETHEUS_CONFIG_RELOAD_OK,
        m.PROMETHEUS_ALERTMANAGERS_DISCOVERED,
        m.PROMETHEUS_NOTIFICATIONS_ERRORS,
        m.PROMETHEUS_REMOTE_SAMPLES_FAILED,
        m.PROMETHEUS_REMOTE_HIGHEST_TIMESTAMP_IN,
        # PROMETHEUS_REMOTE_HIGHEST_SENT appears with a queue's first successful send (nothing
        # is sent here): RemoteWriteBehind's `> 0` guard stands for the time before it.
        m.ALERTMANAGER_CONFIG_RELOAD_OK,
        m.ALERTMANAGER_NOTIFICATIONS_FAILED,
    )

    def scraped() -> set[str]:
        query = f'group by (__name__) ({{service="{mon}"}})'
        return {s["metric"]["__name__"] for s in stack.get("/api/v1/query", query=query)["result"]}

    wait_for(lambda: set(names) <= scraped(), what="the meta-alerts' metrics", timeout=60)
    # Healthy means: both targets up, Alertmanager discovered (about 5 s after start).
    healthy = (
        f'count(up{{service="{mon}"}} == 1) == 2 and on () '
        f'count({m.PROMETHEUS_ALERTMANAGERS_DISCOVERED}{{service="{mon}"}} == 1) == 1'
    )
    wait_for(lambda: stack.get("/api/v1/query", query=healthy)["result"],
             what="a healthy monitoring stack", timeout=60)

    since = float(stack.get("/api/v1/query", query="time()")["result"][1])
    evaluated = (
        f'{m.PROMETHEUS_RULE_GROUP_LAST_EVALUATION}{{rule_group=~".*;signalpost.meta"}} > {since}'
    )
    wait_for(lambda: stack.get("/api/v1/query", query=evaluated)["result"],
             what="a meta group evaluation on those metrics", timeout=60)
    groups = stack.get("/api/v1/rules", type="alert")["groups"]
    group = next(g for g in groups if g["name"] == "signalpost.meta")
    assert {r["name"] for r in group["rules"]} >= {Alert.WATCHDOG, Alert.MONITORING_TARGET_DOWN}
    for rule in group["rules"]:
        assert rule["health"] == "ok", (rule["name"], rule.get("lastError"))
        expected = "firing" if rule["name"] == Alert.WATCHDOG else "inactive"
        assert rule["state"] == expected, (rule["name"], rule["alerts"])
