"""Real clustered Alertmanagers (gossip on loopback) and the checks the HA tests wait on.

:class:`AlertmanagerCluster` runs ``prometheus-alertmanager`` members with
:func:`alertmanager.cluster.cluster_flags`, each with its own web and gossip port and data
folder, and can crash (SIGKILL) and restart any of them as it was.

Timing. The members gossip every 100 ms (default 200 ms: the shorter interval only makes the
cluster settle faster) and wait ``peer_timeout`` (2 s here, 15 s by default) per position
before notifying. A member at position 1 notifies only if, after its wait, the notification
log gossiped from position 0 does not hold the group: on loopback a webhook delivery and one
gossip round take milliseconds, so 2 s is a wide margin; it is the one timing assumption of
the cluster itself, and Alertmanager's own.

Counting "exactly once" needs to know that no member is still about to notify.
:meth:`AlertmanagerCluster.wait_settled` waits until every running member has queried its
notification log (``alertmanager_nflog_queries_total``: one query per group, receiver with an
integration, and flush) three times per such group since the notification arrived: each group
has then finished at least one whole flush (wait, log check, delivery of anything it decided
to send) after it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from alertmanager.cluster import cluster_flags
from tests.daemons import Daemon
from tests.servers import free_port, wait_for

__all__ = ["AlertmanagerCluster", "alert", "metric_value"]

PEER_TIMEOUT = "2s"
GOSSIP_INTERVAL = "100ms"
SETTLE_TIMEOUT = 90.0  # a busy two-core machine: settling polls several gossip rounds


def alert(name: str, **labels: str) -> dict[str, Any]:
    """An alert as Prometheus posts it (``severity: info``: routed to the history receiver
    only), firing for the next ten minutes unless posted again."""
    ends = datetime.now(UTC) + timedelta(minutes=10)
    return {
        "labels": {"alertname": name, "service": "ha-test", "severity": "info", **labels},
        "annotations": {"summary": f"{name} for the HA tests"},
        "endsAt": ends.isoformat(),
    }


def metric_value(text: str, name: str) -> float:
    """The value of the unlabelled sample ``name`` in a Prometheus text exposition."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not exposed")


class AlertmanagerCluster:
    """``size`` Alertmanagers with one configuration, each peering with all the others."""

    def __init__(self, config_text: str, root: Path, size: int = 2) -> None:
        binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
        if binary is None:
            raise RuntimeError("prometheus-alertmanager not found: run scripts/bootstrap.sh")
        config = root / "alertmanager.yml"
        config.write_text(config_text, encoding="utf-8")
        gossip = [f"127.0.0.1:{free_port()}" for _ in range(size)]
        self.urls: list[str] = []
        self.members: list[Daemon] = []
        for index in range(size):
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            argv = [
                binary,
                f"--config.file={config}",
                f"--storage.path={root / f'data-{index}'}",
                f"--web.listen-address=127.0.0.1:{port}",
                f"--web.external-url={url}",
                *cluster_flags(
                    gossip[index],
                    [peer for peer in gossip if peer != gossip[index]],
                    peer_timeout=PEER_TIMEOUT,
                ),
                f"--cluster.gossip-interval={GOSSIP_INTERVAL}",
            ]
            self.urls.append(url)
            self.members.append(Daemon(f"alertmanager-{index}", argv, f"{url}/-/ready",
                                       root / f"alertmanager-{index}.log"))  # fmt: skip

    @property
    def gossip_addresses(self) -> list[str]:
        """Each member's ``--cluster.listen-address``."""
        return [next(a.split("=", 1)[1] for a in m.argv if a.startswith("--cluster.listen-"))
                for m in self.members]  # fmt: skip

    def running(self) -> list[int]:
        """Indexes of the members running now."""
        return [i for i, member in enumerate(self.members) if member.running]

    def start(self) -> None:
        """Start every member and wait until they form one settled cluster."""
        for member in self.members:
            member.launch()
        for member in self.members:
            member.wait_ready()
        self.wait_clustered()

    def stop(self) -> None:
        """Stop every member."""
        for member in self.members:
            member.stop()

    def kill(self, index: int) -> None:
        """Crash member ``index`` (SIGKILL): its notification log and silences are not saved."""
        self.members[index].kill()

    def restart(self, index: int) -> None:
        """Start member ``index`` again with its ports and data folder; wait until it has
        rejoined and the cluster is settled."""
        self.members[index].start()
        self.wait_clustered()

    def status(self, index: int) -> dict[str, Any]:
        """``GET /api/v2/status`` of member ``index``."""
        result: dict[str, Any] = httpx.get(f"{self.urls[index]}/api/v2/status", timeout=5).json()
        return result

    def wait_clustered(self) -> None:
        """Wait until every running member is ``ready`` and sees exactly the running members."""
        running = self.running()

        def clustered() -> bool:
            for index in running:
                cluster = self.status(index)["cluster"]
                if cluster["status"] != "ready" or len(cluster["peers"]) != len(running):
                    return False
            return True

        wait_for(clustered, f"{len(running)} clustered Alertmanagers", timeout=SETTLE_TIMEOUT)

    def positions(self) -> list[int]:
        """Running member indexes by cluster position: the first notifies first, each next
        one ``peer_timeout`` later if the notification log does not say it was done."""
        names = {index: self.status(index)["cluster"]["name"] for index in self.running()}
        return sorted(names, key=names.__getitem__)

    def post(self, alerts: list[dict[str, Any]], members: Sequence[int] | None = None) -> None:
        """POST ``alerts`` to each member (every running one by default), as Prometheus does."""
        for index in self.running() if members is None else members:
            response = httpx.post(f"{self.urls[index]}/api/v2/alerts", json=alerts, timeout=5)
            response.raise_for_status()

    def alerts(self, index: int, **filters: str) -> list[dict[str, Any]]:
        """``GET /api/v2/alerts`` of member ``index``, with label ``filter`` matchers."""
        params = {"filter": [f'{k}="{v}"' for k, v in filters.items()]}
        response = httpx.get(f"{self.urls[index]}/api/v2/alerts", params=params, timeout=5)
        result: list[dict[str, Any]] = response.json()
        return result

    def silence(self, index: int, **labels: str) -> str:
        """Create a one-hour silence matching ``labels`` on member ``index``; its ID."""
        now = datetime.now(UTC)
        body = {
            "matchers": [{"name": k, "value": v, "isRegex": False, "isEqual": True}
                         for k, v in labels.items()],
            "startsAt": now.isoformat(),
            "endsAt": (now + timedelta(hours=1)).isoformat(),
            "createdBy": "tests/alertmanager/test_ha_cluster.py",
            "comment": "silence created on one member must hold on the other",
        }  # fmt: skip
        response = httpx.post(f"{self.urls[index]}/api/v2/silences", json=body, timeout=5)
        response.raise_for_status()
        silence_id: str = response.json()["silenceID"]
        return silence_id

    def silence_ids(self, index: int) -> set[str]:
        """IDs of the active silences member ``index`` knows."""
        response = httpx.get(f"{self.urls[index]}/api/v2/silences", timeout=5)
        return {s["id"] for s in response.json() if s["status"]["state"] == "active"}

    def nflog_queries(self, index: int) -> float:
        """How many times member ``index`` has read its notification log."""
        text = httpx.get(f"{self.urls[index]}/metrics", timeout=5).text
        return metric_value(text, "alertmanager_nflog_queries_total")

    def notifying_groups(self, index: int) -> int:
        """Alert groups of member ``index`` that reach a notification log check: not muted,
        routed to a receiver that notifies someone (``null`` notifies nobody)."""
        response = httpx.get(f"{self.urls[index]}/api/v2/alerts/groups", timeout=5)
        return sum(
            1
            for group in response.json()
            if group["receiver"]["name"] != "null"
            and any(a["status"]["state"] == "active" for a in group["alerts"])
        )

    def wait_settled(self) -> None:
        """Wait until no running member can still be about to notify (module docstring)."""
        start = {
            index: self.nflog_queries(index) + 3 * self.notifying_groups(index)
            for index in self.running()
        }
        wait_for(
            lambda: all(self.nflog_queries(i) >= n for i, n in start.items()),
            "every member to check its notification log again",
            timeout=60,
            every=0.2,
        )

    def describe(self) -> str:
        """Every member's status and log, for assertion messages."""
        parts = []
        for index, member in enumerate(self.members):
            status = json.dumps(self.status(index)["cluster"]) if member.running else "down"
            parts.append(f"--- {member.name}: {status}\n{member.log()[-3000:]}")
        return "\n".join(parts)
