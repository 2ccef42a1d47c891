"""docker-compose.ha.yml, the HA pair as an override of docker-compose.yml, checked without a
Docker engine: merged as Compose merges (mappings merged, ``command`` replaced, ``volumes`` by
container path) it validates, mounts the generated replica configurations, and clusters the
Alertmanagers with the flags :mod:`alertmanager.cluster` gives.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from alertmanager.cluster import GOSSIP_PORT, cluster_flags, single_flags
from prometheus.config import command_line, replica_configs
from prometheus.generate import DEMO_DIR
from prometheus.knobs import load_knobs
from tests.compose.test_compose import COMPOSE, ROOT, stand_in_credentials, validate

OVERRIDE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.ha.yml").read_text())
KNOBS = load_knobs(DEMO_DIR / "knobs.yaml")
assert KNOBS.ha is not None
HA = KNOBS.ha


def _target(volume: str) -> str:
    return volume.split(":")[1]


def _merge_service(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = {**base, **extra}
    if "volumes" in base and "volumes" in extra:
        replaced = {_target(v) for v in extra["volumes"]}
        merged["volumes"] = [v for v in base["volumes"] if _target(v) not in replaced]
        merged["volumes"] += extra["volumes"]
    if "depends_on" in base and "depends_on" in extra:
        merged["depends_on"] = {**base["depends_on"], **extra["depends_on"]}
    return merged


def merged() -> dict[str, Any]:
    services = dict(COMPOSE["services"])
    for name, service in OVERRIDE["services"].items():
        services[name] = _merge_service(services.get(name, {}), service)
    return {**COMPOSE, "services": services, "volumes": {**COMPOSE["volumes"],
                                                         **OVERRIDE["volumes"]}}  # fmt: skip


MERGED = merged()
SERVICES: dict[str, dict[str, Any]] = MERGED["services"]
REPLICAS = dict(zip(HA.replicas, ("prometheus", "prometheus-b"), strict=True))
ALERTMANAGERS = ("alertmanager", "alertmanager-b")


def test_the_merged_stack_validates() -> None:
    assert validate(MERGED) == []


@pytest.mark.parametrize("name", [*REPLICAS.values(), *ALERTMANAGERS])
def test_mounts_exist_read_only_and_volumes_are_named(name: str) -> None:
    for volume in SERVICES[name]["volumes"]:
        source, _target, *mode = volume.split(":")
        if source.startswith("."):
            assert (ROOT / source).exists() and mode == ["ro"], (name, volume)
        else:
            assert source in MERGED["volumes"], (name, volume)


@pytest.mark.parametrize(("replica", "name"), REPLICAS.items())
def test_each_replica_runs_its_generated_configuration(replica: str, name: str) -> None:
    service = SERVICES[name]
    config = f"./demo/stack-config/prometheus/prometheus-{replica}.yml"
    assert f"{config}:/etc/prometheus/prometheus.yml:ro" in service["volumes"]
    assert f"prometheus-{replica}.yml" in replica_configs(KNOBS)
    assert HA.replicas[replica] == f"{name}:9090"
    external = next(f for f in service["command"] if f.startswith("--web.external-url="))
    assert service["command"] == command_line(
        "main", "/etc/prometheus/prometheus.yml", "/prometheus", "0.0.0.0:9090",
        external.split("=", 1)[1],
    )  # fmt: skip


@pytest.mark.parametrize("name", ALERTMANAGERS)
def test_alertmanagers_cluster_with_the_generated_flags(name: str) -> None:
    single = COMPOSE["services"]["alertmanager"]["command"]
    (other,) = set(ALERTMANAGERS) - {name}
    expected = [flag for flag in single if flag not in single_flags()]
    expected[3:3] = cluster_flags(f"0.0.0.0:{GOSSIP_PORT}", [f"{other}:{GOSSIP_PORT}"])
    command = [f for f in SERVICES[name]["command"] if not f.startswith("--web.external-url=")]
    assert command == [f for f in expected if not f.startswith("--web.external-url=")]
    assert HA.alertmanagers == tuple(f"{a}:9093" for a in ALERTMANAGERS)
    assert f"127.0.0.1:{9093 if name == 'alertmanager' else 9095}:9093" in SERVICES[name]["ports"]


@pytest.mark.parametrize("replica", list(HA.replicas))
def test_replica_configs_pass_promtool(replica: str, tmp_path: Path) -> None:
    source = DEMO_DIR / f"prometheus-{replica}.yml"
    # The rules are checked with the main configuration; here: scrapes, alerting, credentials.
    path = stand_in_credentials(source, SERVICES[REPLICAS[replica]], tmp_path)
    (tmp_path / "rules").symlink_to(DEMO_DIR / "rules")
    result = subprocess.run(["promtool", "check", "config", str(path)],
                            capture_output=True, text=True, check=False)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
