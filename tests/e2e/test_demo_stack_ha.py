"""``python -m demo.stack --ha`` for real: the local stack with two Prometheus replicas and two
clustered Alertmanagers, every part on a free port.

The alert watched is the Watchdog, which always fires: both replicas evaluate it and send it
to both Alertmanagers, which must hold it once, without the replica label. The failure scenarios themselves are tested on the bare pair
(tests/alertmanager/test_ha_cluster.py, tests/prometheus/test_ha_pair.py).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from demo import ha
from demo.stack import Ports, Stack, StackOptions
from prometheus.catalog import Alert
from prometheus.ha import REPLICA_LABEL
from tests.servers import free_port, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    ports = Ports(**{name: free_port() for name in Ports.__dataclass_fields__})
    pair = ha.HaPorts(**{name: free_port() for name in ha.HaPorts.__dataclass_fields__})
    options = StackOptions(scrape_interval="1s", evaluation_interval="1s", traffic_rate=0.0,
                           ready_timeout=120.0, ha_ports=pair)  # fmt: skip
    # Not under pytest's temporary folder: PostgreSQL runs as its own user, which must reach it.
    data = Path(tempfile.mkdtemp(prefix="signalpost-e2e-ha-"))
    data.chmod(0o755)
    try:
        with Stack(data, ports, options) as running:
            yield running
    finally:
        shutil.rmtree(data, ignore_errors=True)


def _urls(stack: Stack) -> tuple[list[str], list[str]]:
    pair = stack.options.ha_ports
    assert pair is not None
    prometheus = [stack.prometheus_url, f"http://127.0.0.1:{pair.prometheus_b}"]
    alertmanagers = [stack.alertmanager_url, f"http://127.0.0.1:{pair.alertmanager_b}"]
    return prometheus, alertmanagers


def test_the_local_pair_clusters_and_holds_the_watchdog_once(stack: Stack) -> None:
    prometheus, alertmanagers = _urls(stack)

    def clustered() -> bool:
        statuses = [httpx.get(f"{am}/api/v2/status", timeout=5).json() for am in alertmanagers]
        return all(s["cluster"]["status"] == "ready" and len(s["cluster"]["peers"]) == 2
                   for s in statuses)  # fmt: skip

    wait_for(clustered, "the two Alertmanagers clustered", timeout=90)
    for url in prometheus:
        active = httpx.get(f"{url}/api/v1/alertmanagers", timeout=5).json()["data"]
        assert sorted(a["url"] for a in active["activeAlertmanagers"]) == sorted(
            f"{am}/api/v2/alerts" for am in alertmanagers
        )

    def watchdogs(am: str) -> list[dict[str, object]]:
        alerts = httpx.get(f"{am}/api/v2/alerts", params={"filter": f'alertname="{Alert.WATCHDOG}"'},
                           timeout=5).json()  # fmt: skip
        return [a["labels"] for a in alerts]

    for am in alertmanagers:
        wait_for(lambda: watchdogs(am), f"the Watchdog in {am}", timeout=60)  # noqa: B023
    # Both replicas have sent it by now: each replica's own alert list has it firing.
    for url in prometheus:

        def firing(url: str = url) -> bool:
            alerts = httpx.get(f"{url}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
            return any(a["labels"]["alertname"] == Alert.WATCHDOG for a in alerts)

        wait_for(firing, f"the Watchdog firing on {url}", timeout=60)
    for am in alertmanagers:
        (labels,) = watchdogs(am)
        assert REPLICA_LABEL not in labels
