"""The ``exporters`` knob: scrape jobs ``node`` and ``postgres`` with the service's label, the
consistency checks, and what changes in the other rules when exporters are listed."""

from __future__ import annotations

from pathlib import Path

import pytest

from prometheus.config import main_config, with_targets
from prometheus.generate import main
from prometheus.knobs import DEFAULT_KNOBS, Knobs, load_knobs
from prometheus.rulefiles import rule_files


def _knobs(**exporters: object) -> Knobs:
    data = load_knobs().model_dump(by_alias=True)
    data["exporters"] = {"services": exporters}
    return Knobs.model_validate(data)


def _rule(knobs: Knobs, name: str) -> str:
    groups = rule_files(knobs)["alerts.rules.yml"]["groups"]
    (expr,) = [r["expr"] for g in groups for r in g["rules"] if r.get("alert") == name]
    return str(expr)


def test_exporters_are_scraped_with_the_label_of_their_service() -> None:
    knobs = _knobs(**{"my-service": {"node": ["h1:9100", "h2:9100"]}, "db": {"postgres": ["p:1"]}})
    jobs = {c["job_name"]: c["static_configs"] for c in main_config(knobs)["scrape_configs"]}
    assert jobs["node"] == [{"targets": ["h1:9100", "h2:9100"], "labels": {"service": "my-service"}}]
    assert jobs["postgres"] == [{"targets": ["p:1"], "labels": {"service": "db"}}]


def test_no_exporters_no_exporter_jobs_rules_or_exclusions() -> None:
    knobs = _knobs()
    jobs = {c["job_name"] for c in main_config(knobs)["scrape_configs"]}
    assert not jobs & {"node", "postgres"}
    assert rule_files(knobs)["exporters.rules.yml"] == {"groups": []}
    assert "node" not in _rule(knobs, "ServiceDown") and "node" not in _rule(knobs, "MemoryHigh")


def test_exporters_are_not_the_service_and_replace_the_in_app_host_alerts() -> None:
    knobs = _knobs(**{"my-service": {"node": ["h:9100"], "postgres": ["p:9187"]}})
    assert 'job!~"node|postgres"' in _rule(knobs, "ServiceDown")
    assert 'job!~"node|postgres"' in _rule(knobs, "InstanceDown")
    for name in ("DiskWillFillIn24h", "MemoryHigh"):
        assert _rule(knobs, name).endswith(' unless on (service) (up{job="node"} == 1)')


@pytest.mark.parametrize(
    ("change", "into", "why"),
    [
        ("services:\n  my-service:\n", "services:\n  my-service:\n    node: [\"x:1\"]\n",
         "services.my-service.node: is an exporter job"),
        ("  prometheus: [\"localhost:9090\"]", "  prometheus: [\"localhost:9090\"]\n  postgres: [\"y:1\"]",
         "monitoring_targets.postgres: is an exporter job"),
        ("      postgres: [\"postgres-exporter:9187\"]", "      postgres: [\"app:8000\"]",
         "exporters.services.my-service.postgres.0: app:8000 is already a target"),
    ],
    ids=["node job of a service", "postgres job of the stack", "target scraped twice"],
)  # fmt: skip
def test_inconsistent_exporters_are_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: str, into: str, why: str
) -> None:
    own = tmp_path / "knobs.yaml"
    text = DEFAULT_KNOBS.read_text(encoding="utf-8")
    assert change in text
    own.write_text(text.replace(change, into, 1), encoding="utf-8")
    assert main(["--knobs", str(own), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(own) in err
    assert why in err


def test_with_targets_moves_or_drops_the_exporters() -> None:
    knobs = load_knobs()
    moved = with_targets(knobs, {"x": {"app": ["127.0.0.1:1"]}})
    assert moved.exporters.services == {}
    local = with_targets(
        knobs, {"x": {"app": ["127.0.0.1:1"]}}, exporters={"x": {"node": ["127.0.0.1:2"]}}
    )
    assert local.exporters.targets("node") == {"x": ("127.0.0.1:2",)}
    assert local.exporters.inodes_low == knobs.exporters.inodes_low  # the alert knobs stay
