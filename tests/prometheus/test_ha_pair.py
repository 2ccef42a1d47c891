"""Two Prometheus replicas (real 2.42, generated replica configurations) sending to two
clustered Alertmanagers (real 0.25): one notification per alert group, without the replica
label, while both run, while either is down and after it restarts.

One pair runs for the module; each test switches on its own probe cases (alert groups) and
leaves both replicas running. Timing of the "exactly once" checks: tests/alertmanager/cluster.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from alertmanager.generate import render
from prometheus.ha import REPLICA_LABEL
from tests.alertmanager.cluster import AlertmanagerCluster
from tests.alertmanager.harness import WebhookCatcher, local_knobs
from tests.prometheus.replicas import Probe, PrometheusPair
from tests.servers import wait_for


@dataclass
class Stack:
    hooks: WebhookCatcher
    probe: Probe
    alertmanagers: AlertmanagerCluster
    prometheus: PrometheusPair
    cases: list[str]

    def switch_on(self, case: str) -> None:
        self.cases.append(case)
        self.probe.switch_on(case)

    def notifications(self, case: str) -> list[dict[str, Any]]:
        return [
            body
            for body in self.hooks.received("/history")
            if body["groupLabels"] == {"alertname": "HaProbe", "service": "ha-test",
                                       "job_type": case}
            and body["status"] == "firing"
        ]  # fmt: skip

    def notified_once(self, case: str) -> dict[str, Any]:
        wait_for(lambda: self.notifications(case), f"the notification of {case}", timeout=60)
        self.alertmanagers.wait_settled()
        sent = self.notifications(case)
        assert len(sent) == 1, f"{len(sent)} notifications\n{self.alertmanagers.describe()}"
        return sent[0]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    hooks = WebhookCatcher()
    probe = Probe()
    knobs = local_knobs(
        pager_url=f"{hooks.url}/pager",
        history_url=f"{hooks.url}/history",
        watchdog_url=f"{hooks.url}/watchdog",
    )
    alertmanagers = AlertmanagerCluster(render(knobs), tmp_path_factory.mktemp("am"))
    targets = [url.removeprefix("http://") for url in alertmanagers.urls]
    prometheus = PrometheusPair(tmp_path_factory.mktemp("prometheus"), probe, targets)
    try:
        alertmanagers.start()
        prometheus.start()
        yield Stack(hooks, probe, alertmanagers, prometheus, [])
    finally:
        prometheus.stop()
        alertmanagers.stop()
        probe.close()
        hooks.close()


def test_the_pair_sends_one_alert_without_the_replica_label(stack: Stack) -> None:
    stack.switch_on("both-up")
    wait_for(lambda: all("both-up" in stack.prometheus.firing(r) for r in ("a", "b")),
             "both replicas firing")  # fmt: skip
    (alert,) = stack.notified_once("both-up")["alerts"]
    assert alert["labels"] == {
        "alertname": "HaProbe",
        "instance": stack.probe.address,
        "job": "probe",
        "job_type": "both-up",
        "prometheus": "main",
        "service": "ha-test",
        "severity": "info",
    }
    assert REPLICA_LABEL not in alert["labels"]
    for index in stack.alertmanagers.running():  # both replicas' copies are one alert
        assert len(stack.alertmanagers.alerts(index, job_type="both-up")) == 1
    for replica in ("a", "b"):  # and each replica sent it to both Alertmanagers
        sent = stack.prometheus.sent_to(replica)
        assert len(sent) == 2 and min(sent.values()) >= 1, sent


@pytest.mark.parametrize("victim", ["a", "b"])
def test_crash_and_restart_either_replica(stack: Stack, victim: str) -> None:
    replica = stack.prometheus.replicas[victim]
    replica.kill()
    stack.switch_on(f"{victim}-down")
    stack.notified_once(f"{victim}-down")

    # Back with its data folder: it evaluates the still-firing alert anew and sends it to both
    # Alertmanagers, which already notified that group.
    replica.start()
    wait_for(lambda: f"{victim}-down" in stack.prometheus.firing(victim), "the alert evaluated")
    wait_for(lambda: len(stack.prometheus.sent_to(victim)) == 2
             and min(stack.prometheus.sent_to(victim).values()) >= 1,
             "the restarted replica's alerts sent to both Alertmanagers")  # fmt: skip
    stack.notified_once(f"{victim}-down")

    stack.switch_on(f"{victim}-restarted")  # nothing lost once it is back
    stack.notified_once(f"{victim}-restarted")


def test_an_alertmanager_crash_and_restart_under_the_pair(stack: Stack) -> None:
    # The first in position is the one that would notify; Prometheus keeps sending to it and
    # fails, the other Alertmanager notifies after its peer timeout.
    cluster = stack.alertmanagers
    first = cluster.positions()[0]
    cluster.kill(first)
    stack.switch_on("am-down")
    stack.notified_once("am-down")

    cluster.restart(first)
    stack.switch_on("am-restarted")
    stack.notified_once("am-restarted")
