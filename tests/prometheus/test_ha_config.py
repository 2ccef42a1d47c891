"""The knobs' ``ha`` section and the replica configurations generated from it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from prometheus.config import main_config, replica_configs, with_targets
from prometheus.generate import DEMO_DIR, render
from prometheus.ha import REPLICA_LABEL
from prometheus.knobs import Knobs, KnobsError, load_knobs

PAIR = {"replicas": {"a": "prom-a:9090", "b": "prom-b:9090"},
        "alertmanagers": ["am-a:9093", "am-b:9093"]}  # fmt: skip


def pair_knobs(**ha: Any) -> Knobs:
    return with_targets(load_knobs(), ha={**PAIR, **ha})


def test_without_an_ha_section_nothing_changes() -> None:
    knobs = load_knobs()
    assert knobs.ha is None and replica_configs(knobs) == {}
    assert not any(name.startswith("prometheus-") for name in render(knobs, with_tests=False))


def test_replicas_differ_only_by_their_label_and_the_roll_up_writes() -> None:
    knobs = pair_knobs()
    configs = replica_configs(knobs)
    assert list(configs) == ["prometheus-a.yml", "prometheus-b.yml"]
    a, b = configs.values()
    assert a["global"]["external_labels"] == {"prometheus": "main", REPLICA_LABEL: "a"}
    assert b["global"]["external_labels"] == {"prometheus": "main", REPLICA_LABEL: "b"}
    assert a["remote_write"] == main_config(knobs)["remote_write"]
    stripped = [{k: v for k, v in c.items() if k not in ("global", "remote_write")}
                for c in (a, b)]  # fmt: skip
    assert stripped[0] == stripped[1]


def test_every_replica_drops_its_label_from_alerts_and_sends_to_every_alertmanager() -> None:
    for config in replica_configs(pair_knobs(replica_label="replica")).values():
        assert config["alerting"] == {
            "alertmanagers": [{"static_configs": [{"targets": ["am-a:9093", "am-b:9093"]}]}],
            "alert_relabel_configs": [{"action": "labeldrop", "regex": "replica"}],
        }
        assert "replica" in config["global"]["external_labels"]
        jobs = {j["job_name"]: j["static_configs"][0]["targets"] for j in config["scrape_configs"]}
        assert jobs["prometheus"] == ["prom-a:9090", "prom-b:9090"]
        assert jobs["alertmanager"] == ["am-a:9093", "am-b:9093"]


@pytest.mark.parametrize(
    ("ha", "why"),
    [
        ({"replicas": {"a": "prom-a:9090"}}, "at least 2"),
        ({"alertmanagers": ["am-a:9093"]}, "at least 2"),
        ({"replicas": {"A b": "x:1", "c": "y:2"}}, "pattern"),
        ({"replica_label": "not-a-label"}, "pattern"),
        ({"peers": []}, "Extra inputs"),
    ],
)
def test_a_bad_ha_section_is_refused_naming_the_key(tmp_path: Path, ha: dict[str, Any],
                                                    why: str) -> None:  # fmt: skip
    knobs = yaml.safe_load((DEMO_DIR / "knobs.yaml").read_text())
    path = tmp_path / "knobs.yaml"
    path.write_text(yaml.safe_dump({**knobs, "ha": {**PAIR, **ha}}, sort_keys=False))
    with pytest.raises(KnobsError, match=rf"knobs.yaml:\d+: ha\..*{why}"):
        load_knobs(path)
