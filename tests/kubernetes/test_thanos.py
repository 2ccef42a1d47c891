"""The Thanos configuration, checked structurally (no Thanos binary runs here): the typed knobs
model, the flag names against Thanos's documented flags, the hashring against the receivers'
flags, the retention against what the compactor accepts, and the remote write against the
main Prometheus's own."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator
from pydantic import ValidationError

from kubernetes.generate import HERE
from kubernetes.knobs import DEFAULT_KNOBS, Objstore, Retention, ThanosKnobs, load_knobs
from kubernetes.thanos import REPLICA_LABEL, components, remote_write
from prometheus.config import RETENTION, main_config
from prometheus.knobs import load_knobs as load_prom_knobs
from tests.kubernetes.shapes import SCHEMAS, tightened

# Flags of Thanos v0.34 (thanos.io/v0.34/components/<component>.md, "Flags"), those this
# generator may write: a misspelt flag stops the process at start-up.
DOCUMENTED_FLAGS: dict[str, set[str]] = {
    "receive": {
        "tsdb.path", "tsdb.retention", "grpc-address", "http-address", "remote-write.address",
        "objstore.config-file", "receive.hashrings-file", "receive.local-endpoint",
        "receive.replication-factor", "label",
    },
    "compact": {
        "wait", "data-dir", "http-address", "objstore.config-file", "retention.resolution-raw",
        "retention.resolution-5m", "retention.resolution-1h", "deduplication.replica-label",
        "deduplication.func",
    },
    "store": {"data-dir", "grpc-address", "http-address", "objstore.config-file"},
    "query": {"grpc-address", "http-address", "query.replica-label", "endpoint"},
}


def _committed(name: str) -> Any:
    text = (HERE / "thanos" / name).read_text()
    return json.loads(text) if name.endswith(".json") else yaml.safe_load(text)


def _flags(args: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for arg in args[1:]:
        assert arg.startswith("--"), arg
        name, _, value = arg[2:].partition("=")
        out.setdefault(name, []).append(value)
    return out


def test_every_flag_is_a_documented_flag_of_its_component() -> None:
    procs = _committed("components.yml")
    assert set(procs) == {"receive-0", "receive-1", "receive-2", "compact", "store", "query"}
    for name, args in procs.items():
        component = args[0]
        assert name.startswith(component)
        assert set(_flags(args)) <= DOCUMENTED_FLAGS[component], name


def test_compactor_keeps_each_resolution_as_long_as_the_stores_did() -> None:
    compact = _flags(_committed("components.yml")["compact"])
    assert compact["retention.resolution-raw"] == [RETENTION["1h"]]
    assert compact["retention.resolution-5m"] == [RETENTION["1h"]]
    assert compact["retention.resolution-1h"] == [RETENTION["1d"]]
    assert compact["deduplication.replica-label"] == [REPLICA_LABEL, "prometheus_replica"]
    assert compact["deduplication.func"] == ["penalty"]
    assert "wait" in compact


@pytest.mark.parametrize(
    ("retention", "accepted"),
    [
        ({"raw": "40h", "5m": "10d"}, True),
        ({"raw": "0d", "5m": "0d", "1h": "0d"}, True),
        ({"raw": "39h"}, False),
        ({"5m": "9d"}, False),
        ({"1h": "1 year"}, False),
    ],
)
def test_retention_the_compactor_accepts(retention: dict[str, str], accepted: bool) -> None:
    if accepted:
        Retention.model_validate(retention)
    else:
        with pytest.raises(ValidationError):
            Retention.model_validate(retention)


def test_hashring_lists_every_receiver_and_each_knows_itself() -> None:
    (ring,) = _committed("hashring.json")
    assert set(ring) <= {"hashring", "tenants", "endpoints", "tenant_matcher_type"}
    procs = _committed("components.yml")
    receivers = {n: _flags(a) for n, a in procs.items() if a[0] == "receive"}
    assert sorted(f["receive.local-endpoint"][0] for f in receivers.values()) == sorted(
        ring["endpoints"]
    )
    # One replica label value per receiver, so that the compactor can deduplicate them.
    replicas = {f["label"][0] for f in receivers.values()}
    assert len(replicas) == len(receivers) and all(r.startswith(f"{REPLICA_LABEL}=") for r in replicas)
    factor = {f["receive.replication-factor"][0] for f in receivers.values()}
    assert factor == {"3"}
    query = _flags(procs["query"])
    assert set(ring["endpoints"]) <= set(query["endpoint"])
    assert query["query.replica-label"] == [REPLICA_LABEL, "prometheus_replica"]


def test_objstore_is_typed_and_holds_no_credentials() -> None:
    store = Objstore.model_validate(_committed("objstore.yml"))
    assert store.type == "S3"
    with pytest.raises(ValidationError, match="credentials"):
        Objstore.model_validate({"type": "S3", "config": {"bucket": "b", "secret_key": "s"}})
    with pytest.raises(ValidationError, match="is not one of"):
        Objstore.model_validate({"type": "s3", "config": {"bucket": "b"}})


def test_replication_needs_an_odd_factor_within_the_receivers() -> None:
    base: dict[str, Any] = load_knobs(DEFAULT_KNOBS).thanos.model_dump(by_alias=True)
    for factor in (2, 5, 0):
        with pytest.raises(ValidationError, match="must be odd"):
            ThanosKnobs.model_validate({**base, "replication_factor": factor})
    single = ThanosKnobs.model_validate(
        {**base, "receivers": base["receivers"][:1], "replication_factor": 1,
         "prometheus_replica_labels": []}
    )
    compact = _flags(components(single)["compact"])
    assert "deduplication.replica-label" not in compact and "deduplication.func" not in compact
    assert "query.replica-label" not in _flags(components(single)["query"])


def test_remote_write_sends_the_same_roll_ups_as_prometheus_yml() -> None:
    entries = _committed("remote-write.yml")["remoteWrite"]
    assert entries == remote_write(load_knobs(DEFAULT_KNOBS).thanos)
    plain = main_config(load_prom_knobs())["remote_write"]
    assert [e["writeRelabelConfigs"][0]["regex"] for e in entries] == [
        w["write_relabel_configs"][0]["regex"] for w in plain
    ]
    # The operator's RelabelConfig type, as vendored with the ServiceMonitor schema.
    schema = tightened(yaml.safe_load((SCHEMAS / "servicemonitors.yaml").read_text()))
    relabel = Draft7Validator({**schema["definitions"]["relabelConfig"],
                               "definitions": schema["definitions"]})
    for entry in entries:
        assert set(entry) == {"name", "url", "writeRelabelConfigs"}
        assert entry["url"].endswith("/api/v1/receive")
        for config in entry["writeRelabelConfigs"]:
            assert list(relabel.iter_errors(config)) == []
