"""promtool runs the generated unit tests; every alert and recording rule has its cases."""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from prometheus.catalog import POSTED, Alert
from prometheus.generate import HERE
from prometheus.unittests import test_files as generated_test_files

TESTS = HERE / "tests"
RULES = TESTS / "rules"  # generated from the tests' own knobs (prometheus/tests/knobs.yaml)


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _rules() -> list[dict[str, Any]]:
    return [
        rule
        for path in sorted(RULES.glob("*.rules.yml"))
        for group in _load(path)["groups"]
        for rule in group["rules"]
    ]


def _test_groups() -> list[dict[str, Any]]:
    return [group for path in sorted(TESTS.glob("*.test.yml")) for group in _load(path)["tests"]]


def missing_cases(rules: list[dict[str, Any]], groups: list[dict[str, Any]]) -> list[str]:
    """What the unit tests lack: per alert a quiet case (two when it has a ``for``: healthy
    data and not yet), a firing case per severity it can have; per recording rule an expression
    test that queries it."""
    quiet: Counter[str] = Counter()
    firing: set[tuple[str, str]] = set()
    exprs = [t["expr"] for g in groups for t in g.get("promql_expr_test", [])]
    for group in groups:
        for case in group.get("alert_rule_test", []):
            if not case["exp_alerts"]:
                quiet[case["alertname"]] += 1
            for alert in case["exp_alerts"]:
                firing.add((case["alertname"], alert["exp_labels"]["severity"]))
    problems = []
    for rule in rules:
        if "alert" in rule:
            name, severity = rule["alert"], rule["labels"]["severity"]
            if (name, severity) not in firing:
                problems.append(f"{name}: no firing case with severity {severity}")
            needed = 0 if name == Alert.WATCHDOG else (2 if "for" in rule else 1)
            if quiet[name] < needed:
                problems.append(f"{name}: {quiet[name]} quiet cases, needs {needed}")
        else:
            name = rule["record"]
            pattern = re.compile(re.escape(name) + r"(?![\w:])")
            if not any(pattern.search(e) for e in exprs):
                problems.append(f"{name}: no promql_expr_test")
    return sorted(set(problems))


def test_every_alert_and_recording_rule_has_its_cases() -> None:
    assert missing_cases(_rules(), _test_groups()) == []


def test_every_catalog_alert_has_a_rule() -> None:
    # Posted alerts (catalog.POSTED) come from another program, never from a rule.
    assert {r["alert"] for r in _rules() if "alert" in r} == {
        str(a) for a in Alert if a not in POSTED
    }


def test_every_test_file_sets_its_interval() -> None:
    for path in TESTS.glob("*.test.yml"):
        content = _load(path)
        assert content["evaluation_interval"], path
        assert all(group.get("interval") for group in content["tests"]), path


@pytest.mark.parametrize(
    "drop",
    ["firing", "quiet", "record"],
)
def test_missing_cases_are_reported(drop: str) -> None:
    groups = _test_groups()
    if drop == "record":
        for group in groups:
            group["promql_expr_test"] = [
                t for t in group.get("promql_expr_test", []) if "slo_error_budget" not in t["expr"]
            ]
        expected = "service_slo:slo_error_budget:remaining_ratio: no promql_expr_test"
    else:
        for group in groups:
            group["alert_rule_test"] = [
                t
                for t in group.get("alert_rule_test", [])
                if t["alertname"] != "JobStuck" or bool(t["exp_alerts"]) != (drop == "firing")
            ]
        expected = (
            "JobStuck: no firing case with severity warning"
            if drop == "firing"
            else "JobStuck: 0 quiet cases, needs 1"
        )
    assert expected in missing_cases(_rules(), groups)


def test_promtool_unit_tests_pass() -> None:
    files = sorted(TESTS.glob("*.test.yml"))
    assert {p.name for p in files} == {n for n in generated_test_files() if "/" not in n}
    # One promtool per file, all at once: the files are independent.
    procs = [
        (
            path.name,
            subprocess.Popen(
                ["promtool", "test", "rules", path.name],
                cwd=TESTS,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            ),
        )
        for path in files
    ]
    failures = []
    for name, proc in procs:
        out, _ = proc.communicate(timeout=600)
        if proc.returncode != 0:
            failures.append(f"{name}:\n{out}")
    assert not failures, "\n".join(failures)
