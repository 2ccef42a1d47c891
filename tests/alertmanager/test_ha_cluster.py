"""Two clustered Alertmanagers (real 0.25 binaries, gossip on loopback) with the generated
routing tree: one notification per alert group whichever members are up, after a crash and
after a restart, and silences shared.

Alerts are posted to every running member, as each Prometheus replica does; notifications are
counted at the history receiver, which gets a copy of every alert group. Each test starts its
own cluster (see ``cluster.py`` for the timing).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from alertmanager.generate import render
from tests.alertmanager.cluster import AlertmanagerCluster, alert
from tests.alertmanager.harness import WebhookCatcher, local_knobs
from tests.servers import wait_for


@pytest.fixture
def hooks() -> Iterator[WebhookCatcher]:
    catcher = WebhookCatcher()
    yield catcher
    catcher.close()


@pytest.fixture
def cluster(
    hooks: WebhookCatcher, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AlertmanagerCluster]:
    knobs = local_knobs(
        pager_url=f"{hooks.url}/pager",
        history_url=f"{hooks.url}/history",
        watchdog_url=f"{hooks.url}/watchdog",
    )
    pair = AlertmanagerCluster(render(knobs), tmp_path_factory.mktemp("am-cluster"))
    try:
        pair.start()
        yield pair
    finally:
        pair.stop()


def notifications(hooks: WebhookCatcher, name: str) -> list[dict[str, Any]]:
    """The firing notifications of the group of alert ``name`` at the history receiver."""
    return [
        body
        for body in hooks.received("/history")
        if body["groupLabels"].get("alertname") == name and body["status"] == "firing"
    ]


def notified_once(hooks: WebhookCatcher, cluster: AlertmanagerCluster, name: str) -> dict[str, Any]:
    """Wait for the notification of ``name``, then until no member can still send one; the
    one notification."""
    wait_for(lambda: notifications(hooks, name), f"the notification of {name}", timeout=60)
    cluster.wait_settled()
    sent = notifications(hooks, name)
    assert len(sent) == 1, f"{len(sent)} notifications of {name}\n{cluster.describe()}"
    return sent[0]


def test_both_up_one_notification_per_group(
    hooks: WebhookCatcher, cluster: AlertmanagerCluster
) -> None:
    cluster.post([alert("HaBothUp", instance="x"), alert("HaBothUp", instance="y")])
    sent = notified_once(hooks, cluster, "HaBothUp")
    assert sorted(a["labels"]["instance"] for a in sent["alerts"]) == ["x", "y"]
    for index in cluster.running():  # each member holds each alert once
        assert len(cluster.alerts(index, alertname="HaBothUp")) == 2


@pytest.mark.parametrize("victim", [0, 1], ids=["first-position", "second-position"])
def test_crash_and_restart_either_member(
    hooks: WebhookCatcher, cluster: AlertmanagerCluster, victim: int
) -> None:
    crashed = cluster.positions()[victim]
    cluster.kill(crashed)
    (survivor,) = cluster.running()
    cluster.post([alert("HaDuringCrash")])  # Prometheus's post to the dead member fails
    notified_once(hooks, cluster, "HaDuringCrash")

    # The crashed member saved nothing; on joining it receives the survivor's notification
    # log and must not notify the still-firing group again when Prometheus resends it.
    cluster.restart(crashed)
    assert cluster.alerts(crashed) == []
    cluster.post([alert("HaDuringCrash")])
    wait_for(lambda: cluster.alerts(crashed, alertname="HaDuringCrash"), "the resent alert")
    notified_once(hooks, cluster, "HaDuringCrash")

    # Nothing lost either: a new group after the restart is notified, once.
    cluster.post([alert("HaAfterRestart")])
    notified_once(hooks, cluster, "HaAfterRestart")
    assert survivor in cluster.running()


def test_a_silence_made_on_one_member_holds_on_the_other(
    hooks: WebhookCatcher, cluster: AlertmanagerCluster
) -> None:
    first, second = cluster.running()
    silence_id = cluster.silence(first, alertname="HaSilenced")
    wait_for(lambda: silence_id in cluster.silence_ids(second), "the silence on the other member")

    cluster.post([alert("HaSilenced"), alert("HaNotSilenced")])

    def suppressed_everywhere() -> bool:
        return all(
            [a["status"]["silencedBy"] for a in cluster.alerts(i, alertname="HaSilenced")]
            == [[silence_id]]
            for i in (first, second)
        )

    wait_for(suppressed_everywhere, "the alert silenced on both members")
    notified_once(hooks, cluster, "HaNotSilenced")
    assert notifications(hooks, "HaSilenced") == []
