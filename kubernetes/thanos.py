"""The Thanos long-term store: what the generator writes under ``kubernetes/thanos/``.

The main Prometheus keeps remote-writing only the hourly and daily roll-ups (the same
``write_relabel_configs`` as ``prometheus/prometheus.yml``), now to Thanos Receive instead of
the two long-term Prometheus instances. Receive replicates each sample to
``replication_factor`` receivers (each adds its own ``receive_replica`` label) and uploads
2-hour blocks to object storage; the querier and the compactor (one per bucket) deduplicate the
receivers' copies and those of Prometheus replicas (``prometheus_replica_labels``),
downsamples to the 5m and 1h resolutions and deletes each resolution after its retention. A
roll-up written once an hour or once a day has at most one sample per hour, so its 1h
resolution keeps every sample: the roll-ups survive as long as the 1h retention.
"""

from __future__ import annotations

import json
from typing import Any

from kubernetes.knobs import ThanosKnobs
from prometheus import recording as r

__all__ = [
    "HASHRING_FILE",
    "OBJSTORE_FILE",
    "REPLICA_LABEL",
    "components",
    "hashring",
    "objstore",
    "remote_write",
    "thanos_files",
]

REPLICA_LABEL = "receive_replica"
"""The label each receiver adds to what it stores, which the compactor deduplicates away."""
OBJSTORE_FILE = "/etc/thanos/objstore.yml"
HASHRING_FILE = "/etc/thanos/hashring.json"
_GRPC = "0.0.0.0:10901"
_HTTP = "0.0.0.0:10902"
_WRITE = "0.0.0.0:19291"


def objstore(knobs: ThanosKnobs) -> dict[str, Any]:
    """The ``--objstore.config-file`` of every component (no credentials: see the docs)."""
    return knobs.objstore.model_dump()


def hashring(knobs: ThanosKnobs) -> list[dict[str, Any]]:
    """The ``--receive.hashrings-file``: one hashring of every receiver, for every tenant."""
    return [{"hashring": "default", "endpoints": list(knobs.receivers)}]


def _receive(knobs: ThanosKnobs, index: int, endpoint: str) -> list[str]:
    return [
        "receive",
        "--tsdb.path=/var/thanos/receive",
        # Blocks are uploaded every 2 hours; a day on disk serves recent queries.
        "--tsdb.retention=1d",
        f"--grpc-address={_GRPC}",
        f"--http-address={_HTTP}",
        f"--remote-write.address={_WRITE}",
        f"--objstore.config-file={OBJSTORE_FILE}",
        f"--receive.hashrings-file={HASHRING_FILE}",
        f"--receive.local-endpoint={endpoint}",
        f"--receive.replication-factor={knobs.replication_factor}",
        f'--label={REPLICA_LABEL}="{index}"',
    ]


def _compact(knobs: ThanosKnobs) -> list[str]:
    retention = knobs.retention
    flags = [
        "compact",
        "--wait",
        "--data-dir=/var/thanos/compact",
        f"--http-address={_HTTP}",
        f"--objstore.config-file={OBJSTORE_FILE}",
        f"--retention.resolution-raw={retention.raw}",
        f"--retention.resolution-5m={retention.five_minutes}",
        f"--retention.resolution-1h={retention.one_hour}",
    ]
    flags += [f"--deduplication.replica-label={label}" for label in _replica_labels(knobs)]
    if knobs.prometheus_replica_labels:
        # Two Prometheus replicas evaluate the roll-ups at slightly different instants: their
        # samples are not 1:1 duplicates, which the default merger expects.
        flags.append("--deduplication.func=penalty")
    return flags


def _replica_labels(knobs: ThanosKnobs) -> list[str]:
    receive = [REPLICA_LABEL] if knobs.replication_factor > 1 else []
    return receive + list(knobs.prometheus_replica_labels)


def _store() -> list[str]:
    return [
        "store",
        "--data-dir=/var/thanos/store",
        f"--grpc-address={_GRPC}",
        f"--http-address={_HTTP}",
        f"--objstore.config-file={OBJSTORE_FILE}",
    ]


def _query(knobs: ThanosKnobs, store: str) -> list[str]:
    return [
        "query",
        f"--grpc-address={_GRPC}",
        f"--http-address={_HTTP}",
        *(f"--query.replica-label={label}" for label in _replica_labels(knobs)),
        *(f"--endpoint={endpoint}" for endpoint in knobs.receivers),
        f"--endpoint={store}",
    ]


def components(knobs: ThanosKnobs, store: str = "thanos-store:10901") -> dict[str, list[str]]:
    """Command line of each Thanos process, by a name for it (one per receiver)."""
    out = {
        f"receive-{index}": _receive(knobs, index, endpoint)
        for index, endpoint in enumerate(knobs.receivers)
    }
    out.update(compact=_compact(knobs), store=_store(), query=_query(knobs, store))
    return out


def remote_write(knobs: ThanosKnobs) -> list[dict[str, Any]]:
    """The Prometheus Operator ``remoteWrite`` entries (kube-prometheus-stack:
    ``prometheus.prometheusSpec.remoteWrite``): the hourly and daily roll-ups only."""
    return [
        {
            "name": f"thanos-rollup-{window}",
            "url": knobs.write_url,
            "writeRelabelConfigs": [
                {"sourceLabels": ["__name__"], "regex": r.rollup_regex(window), "action": "keep"}
            ],
        }
        for window in r.ROLLUP_WINDOWS
    ]


def thanos_files(knobs: ThanosKnobs) -> dict[str, Any]:
    """File name (under ``thanos/``) to content: YAML data, or JSON text for the hashring."""
    return {
        "objstore.yml": objstore(knobs),
        "hashring.json": json.dumps(hashring(knobs), indent=2) + "\n",
        "components.yml": components(knobs),
        "remote-write.yml": {"remoteWrite": remote_write(knobs)},
    }
