"""Highly available alerting: a pair (or more) of Prometheus replicas and clustered Alertmanagers.

The knobs' ``ha`` section names the replicas (name → ``host:port``) and the Alertmanagers of
the cluster. Every replica scrapes the same targets, evaluates the same rules and sends its
alerts to every Alertmanager; its configuration differs only by an external label naming the
replica (``prometheus_replica`` by default). That label tells the replicas' series apart
wherever they meet (federation, a query layer) but must not reach Alertmanager: two replicas
would send two alerts that differ by it, and the cluster would notify twice. The label is
dropped in ``alerting.alert_relabel_configs``, so both replicas send the same label set and
the Alertmanagers' notification log deduplicates them (docs/high-availability.md).

Only the first replica remote-writes the roll-ups: the long-term stores are single Prometheus
instances that cannot merge two writers of the same series.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from prometheus.targets import Target

__all__ = ["REPLICA_LABEL", "HaKnobs", "replica_config", "replica_file"]

REPLICA_LABEL = "prometheus_replica"
"""The external label naming a replica (the convention Thanos and Mimir deduplicate on)."""

ReplicaName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]


class HaKnobs(BaseModel):
    """The knobs' ``ha`` section: the Prometheus replicas and the Alertmanager cluster."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    replica_label: Annotated[str, Field(pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$")] = REPLICA_LABEL
    replicas: Annotated[dict[ReplicaName, Target], Field(min_length=2)]
    """Replica name (the replica label's value) → its ``host:port``; the first one writes the
    roll-ups to the long-term stores."""
    alertmanagers: Annotated[tuple[Target, ...], Field(min_length=2)]
    """Every Alertmanager of the cluster: each replica sends every alert to all of them."""

    def monitoring(self, monitoring: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        """``monitoring_targets`` with the replicas and the Alertmanagers of the pair: every
        replica scrapes both replicas and both Alertmanagers (meta-monitoring sees each)."""
        return {
            **monitoring,
            "prometheus": tuple(self.replicas.values()),
            "alertmanager": self.alertmanagers,
        }


def replica_file(name: str) -> str:
    """The generated configuration file of replica ``name``, relative to the output folder."""
    return f"prometheus-{name}.yml"


def replica_config(
    main: Mapping[str, Any], name: str, *, label: str = REPLICA_LABEL, remote_write: bool
) -> dict[str, Any]:
    """The main configuration made into replica ``name``'s.

    Args:
        main: The configuration of a single Prometheus (:func:`prometheus.config.main_config`).
        name: The replica label's value.
        label: The replica label.
        remote_write: Whether this replica writes the roll-ups to the long-term stores.
    """
    config = copy.deepcopy(dict(main))
    config["global"]["external_labels"][label] = name
    # Alertmanager deduplicates identical label sets only: the replica label would make the
    # pair's copies of one alert two alerts, each notified.
    config.setdefault("alerting", {})["alert_relabel_configs"] = [
        {"action": "labeldrop", "regex": label}
    ]
    if not remote_write:
        config.pop("remote_write", None)
    return config
