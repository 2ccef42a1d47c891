"""The local stack's HA pair (``python -m demo.stack --ha``): a second Prometheus replica and
a second Alertmanager, clustered with the first over loopback gossip.

The replicas' configurations come from :func:`prometheus.config.replica_configs` with this
machine's addresses; the Alertmanagers' flags from :func:`alertmanager.cluster.cluster_flags`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from alertmanager.cluster import cluster_flags
from demo.ports import from_environ
from prometheus.config import with_targets
from prometheus.knobs import Knobs

__all__ = ["REPLICAS", "HaPorts", "alertmanager_flags", "pair_knobs"]

REPLICAS = ("a", "b")
"""The replica label's values: ``a`` runs on the stack's Prometheus port and writes the
roll-ups, ``b`` on :attr:`HaPorts.prometheus_b`."""


@dataclass(frozen=True)
class HaPorts:
    """Loopback ports of the pair's second members and of the gossip (``DEMO_PORT_<NAME>``)."""

    prometheus_b: int = 9096
    alertmanager_b: int = 9097
    gossip: int = 9094
    gossip_b: int = 9098

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> HaPorts:
        """Defaults, with ``DEMO_PORT_PROMETHEUS_B=9196``-style overrides."""
        return from_environ(cls, environ)

    def named(self) -> dict[str, int]:
        """Port by the name of the part that listens on it."""
        return {
            "Prometheus replica b": self.prometheus_b,
            "Alertmanager b": self.alertmanager_b,
            "Alertmanager gossip": self.gossip,
            "Alertmanager b gossip": self.gossip_b,
        }


def pair_knobs(knobs: Knobs, ports: HaPorts, prometheus: int, alertmanager: int) -> Knobs:
    """``knobs`` with an ``ha`` section naming the local pair (``prometheus`` and
    ``alertmanager`` are the first members' ports)."""
    replicas = dict(zip(REPLICAS, (prometheus, ports.prometheus_b), strict=True))
    return with_targets(
        knobs,
        ha={
            "replicas": {name: f"127.0.0.1:{port}" for name, port in replicas.items()},
            "alertmanagers": [f"127.0.0.1:{alertmanager}", f"127.0.0.1:{ports.alertmanager_b}"],
        },
    )


def alertmanager_flags(ports: HaPorts, index: int) -> list[str]:
    """Cluster flags of Alertmanager ``index`` (0: the stack's, 1: b), each peering with the
    other."""
    gossip = [f"127.0.0.1:{ports.gossip}", f"127.0.0.1:{ports.gossip_b}"]
    return cluster_flags(gossip[index], [gossip[1 - index]])
