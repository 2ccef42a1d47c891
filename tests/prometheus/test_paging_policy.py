"""The paging policy (docs/alerting.md), read from the generated rules: only symptoms and hard
outages page, causes never turn critical because they last, one problem pages once."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from alertmanager.recovery.config import load_config as load_recovery_config
from prometheus.catalog import AFTERMATH, PAGING, POSTED, Alert, Severity
from prometheus.generate import HERE, main
from prometheus.knobs import DEFAULT_KNOBS
from tests.prometheus.promtool import rules_in

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = [HERE / "rules", HERE / "tests" / "rules"]


def _alerts(folder: Path) -> list[dict[str, Any]]:
    return [rule for rule in rules_in(folder) if "alert" in rule]


def paging_problems(alerts: list[dict[str, Any]]) -> list[str]:
    """Every way ``alerts`` break the paging policy."""
    problems = []
    by_name: dict[str, list[dict[str, Any]]] = {}
    for rule in alerts:
        by_name.setdefault(rule["alert"], []).append(rule)
    for name, rules in sorted(by_name.items()):
        critical = [r for r in rules if r["labels"]["severity"] == Severity.CRITICAL]
        if critical and name not in PAGING:
            problems.append(f"{name} pages but is not in catalog.PAGING")
        warning_exprs = {r["expr"] for r in rules if r["labels"]["severity"] == Severity.WARNING}
        for rule in critical:
            if rule["expr"] in warning_exprs:
                problems.append(f"{name} turns critical on duration alone")
            if name == Alert.ERROR_BUDGET_BURN_FAST and "count_over_time" not in rule["expr"]:
                problems.append(f"{name} has no minimum-bad-events guard")
    return problems


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: str(p.relative_to(HERE)))
def test_generated_rules_follow_the_paging_policy(folder: Path) -> None:
    alerts = _alerts(folder)
    assert alerts
    assert paging_problems(alerts) == []
    paging = {r["alert"] for r in alerts if r["labels"]["severity"] == Severity.CRITICAL}
    # Symptoms and hard outages only; HighLatency never pages beside the latency SLO burn.
    assert {Alert.SERVICE_DOWN, Alert.DATABASE_DOWN, Alert.ERROR_BUDGET_BURN_FAST} <= paging
    causes = {
        Alert.HIGH_LATENCY,
        Alert.JOB_STUCK,
        Alert.JOB_NOT_SUCCEEDED,
        Alert.HEALTH_CHECK_FAILING,
        Alert.DATABASE_SLOW,
        Alert.MEMORY_HIGH,
        Alert.SCHEMA_INVALID,
        Alert.INSTANCE_DOWN,
    }
    assert not paging & causes
    # The causes' aftermath alerts only inhibit: never critical, never a notification.
    aftermath = [r for r in alerts if r["alert"] in AFTERMATH.values()]
    assert {r["alert"] for r in aftermath} == set(AFTERMATH.values())
    assert {r["labels"]["severity"] for r in aftermath} == {Severity.INFO}


def test_the_check_catches_duration_escalation_and_a_missing_guard() -> None:
    alerts = _alerts(HERE / "rules")
    latency = next(r for r in alerts if r["alert"] == Alert.HIGH_LATENCY)
    escalated = {**latency, "labels": {**latency["labels"], "severity": "critical"}, "for": "30m"}
    fast = next(r for r in alerts if r["alert"] == Alert.ERROR_BUDGET_BURN_FAST)
    unguarded = {**fast, "expr": re.sub(r" and sum_over_time\([^)]*\)[^)]*\)", "", fast["expr"])}
    assert paging_problems([latency, escalated, unguarded]) == [
        "ErrorBudgetBurnFast has no minimum-bad-events guard",
        "HighLatency pages but is not in catalog.PAGING",
        "HighLatency turns critical on duration alone",
    ]


def test_posted_alerts_follow_the_paging_policy() -> None:
    """Posted alerts have no rule to read: the catalog's severity is the policy, and the
    recovery runner posts RecoveryFailed with it (automation failed: a person acts now)."""
    for alert, severity in POSTED.items():
        assert (severity == Severity.CRITICAL) == (alert in PAGING), alert
    escalation = load_recovery_config().escalation
    assert escalation.alertname == Alert.RECOVERY_FAILED
    assert escalation.severity == POSTED[Alert.RECOVERY_FAILED] == Severity.CRITICAL


def test_policy_documented_names_every_paging_alert() -> None:
    text = (ROOT / "docs" / "alerting.md").read_text(encoding="utf-8")
    section = text.split("## Paging policy", 1)[1].split("\n## ", 1)[0]
    for alert in PAGING:
        assert f"`{alert}`" in section, alert


def test_unreachable_fast_burn_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    own = tmp_path / "knobs.yaml"
    text = DEFAULT_KNOBS.read_text(encoding="utf-8")
    own.write_text(text.replace("target: 0.99,", "target: 0.92,"), encoding="utf-8")
    assert main(["--knobs", str(own), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert str(own) in err and "slos.objectives.1" in err and "unreachable" in err
