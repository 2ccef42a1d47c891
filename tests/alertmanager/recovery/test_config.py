"""The recovery configuration: the shipped file loads, every bad key is named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from alertmanager.recovery.config import DEFAULT_CONFIG, ConfigError, load_config, parse_config


def _shipped() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(DEFAULT_CONFIG.read_text())
    return data


def test_the_shipped_rules_load_and_name_the_routed_alerts() -> None:
    config = load_config()
    assert config.alertnames() == ["CircuitOpen", "DatabaseDown", "JobStuck"]
    assert {r.procedure for r in config.rules} == config.allow
    assert not config.dry_run
    by_name = {r.name: r for r in config.rules}
    assert by_name["reenqueue-after-db-outage"].when == "resolved"
    stuck = by_name["stuck-jobs"]
    assert (stuck.max_per_target, stuck.window, stuck.verify_within) == (2, 3600.0, 90.0)
    labels = {"alertname": "JobStuck", "service": "api", "job_type": "digest"}
    assert stuck.matches(labels, "firing") and not stuck.matches(labels, "resolved")
    assert stuck.target(labels) == "service=api,job_type=digest"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("allow"), r"missing key\(s\): allow"),
        (lambda d: d.update(dry_run="yes"), "dry_run must be true or false"),
        (lambda d: d["rules"][0].update(on="firing"), r"rules\[0\]: unknown key\(s\): on"),
        (lambda d: d["rules"][0].update(when="sometimes"), "when must be 'firing' or 'resolved'"),
        (lambda d: d["rules"][0].update(window="an hour"), "window must be a duration"),
        (lambda d: d["rules"][0].update(max_per_target=0), "max_per_target must be a whole"),
        (lambda d: d["rules"][0].update(target_labels=[]), "target_labels must be a non-empty"),
        (lambda d: d["rules"][1].update(name=d["rules"][0]["name"]), "rule names must be unique"),
    ],
)
def test_bad_keys_are_named(change: Any, message: str) -> None:
    data = _shipped()
    change(data)
    with pytest.raises(ConfigError, match=message):
        parse_config(data, "mine.yaml")


def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules: [")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
