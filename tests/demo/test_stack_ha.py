"""``python -m demo.stack --ha``, configured without starting anything: two replica
configurations with this machine's addresses, and Alertmanagers that peer with each other."""

from __future__ import annotations

from pathlib import Path

import yaml

from demo import ha
from demo.stack import Ports, Stack, StackOptions
from prometheus.ha import REPLICA_LABEL

PORTS = Ports(api=18000, worker=19464, prometheus=19090, hourly=19091, daily=19092,
              alertmanager=19093, history=19095, runbooks=18088)  # fmt: skip
PAIR = ha.HaPorts(prometheus_b=19096, alertmanager_b=19097, gossip=19094, gossip_b=19098)


def test_the_local_pair_scrapes_and_alerts_through_both_members(tmp_path: Path) -> None:
    stack = Stack(tmp_path, PORTS, StackOptions(ha_ports=PAIR))
    stack.write_configs()
    folder = stack.config_dir / "prometheus"
    configs = {r: yaml.safe_load((folder / f"prometheus-{r}.yml").read_text()) for r in "ab"}
    for replica, config in configs.items():
        assert config["global"]["external_labels"][REPLICA_LABEL] == replica
        targets = config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
        assert targets == ["127.0.0.1:19093", "127.0.0.1:19097"]
        scraped = {job["job_name"]: job["static_configs"][0]["targets"]
                   for job in config["scrape_configs"]}  # fmt: skip
        assert scraped["prometheus"] == ["127.0.0.1:19090", "127.0.0.1:19096"]
        assert scraped["alertmanager"] == targets
    assert "remote_write" in configs["a"] and "remote_write" not in configs["b"]


def test_the_local_alertmanagers_peer_with_each_other() -> None:
    assert ha.alertmanager_flags(PAIR, 0) == [
        "--cluster.listen-address=127.0.0.1:19094",
        "--cluster.peer=127.0.0.1:19098",
        "--cluster.peer-timeout=15s",
    ]
    assert ha.alertmanager_flags(PAIR, 1)[:2] == [
        "--cluster.listen-address=127.0.0.1:19098",
        "--cluster.peer=127.0.0.1:19094",
    ]


def test_without_the_flag_no_replica_configuration(tmp_path: Path) -> None:
    stack = Stack(tmp_path, PORTS)
    stack.write_configs()
    assert sorted(p.name for p in (stack.config_dir / "prometheus").glob("*.yml")) == [
        "longterm-1d.yml", "longterm-1h.yml", "postgres-exporter-queries.yml", "prometheus.yml"
    ]  # fmt: skip


def test_the_pair_ports_come_from_the_environment() -> None:
    ports = ha.HaPorts.from_environ({"DEMO_PORT_PROMETHEUS_B": "29096", "DEMO_PORT_GOSSIP": "1"})
    assert (ports.prometheus_b, ports.gossip, ports.alertmanager_b) == (29096, 1, 9097)
