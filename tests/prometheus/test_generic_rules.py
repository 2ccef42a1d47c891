"""The rules fit any app: no demo name, the service label and the selector are knobs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from prometheus import selfmetrics
from prometheus.generate import HERE, main
from prometheus.knobs import DEFAULT_KNOBS, load_knobs
from signalpost.semconv import ALL_METRICS
from tests.prometheus import promtool
from tests.prometheus.promtool import rules_in

ROOT = Path(__file__).resolve().parents[2]
DEMO_NAMES = ("signalpost-example", "matching-success")
# Raw metric names as exposed (histograms by their series, counters with _total).
RAW = sorted(
    {
        *(f"{spec.name}{suffix}" for spec in ALL_METRICS for suffix in ("_bucket", "_count")),
        *(spec.exposition_name for spec in ALL_METRICS),
        selfmetrics.UP,
    },
    key=len,
    reverse=True,
)
# A raw name not inside a recording rule's name (level:metric:operation), with its matchers.
USE = re.compile(r"(?<![\w:])(" + "|".join(RAW) + r")(?![\w:])(\{[^}]*\})?")


def test_no_demo_name_in_the_generator_or_the_committed_rules() -> None:
    for path in (ROOT / "prometheus").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for name in DEMO_NAMES:
            assert name not in text, f"{path.relative_to(ROOT)} names {name}"
    # The committed rules name no service (the demo's SLOs and job types are knobs).
    for path in (HERE / "rules").glob("*.yml"):
        assert DEMO_NAMES[0] not in path.read_text(encoding="utf-8"), path.name


def test_committed_rules_do_not_filter_on_a_service() -> None:
    # Only the meta alerts select one (the monitoring stack's own), and TargetMissing and
    # ServiceDown name, in `absent(...)`, the services and jobs whose absence they watch.
    own = re.compile(r'\bservice(=|!=|=~|!~)"(?!' + load_knobs().monitoring_service + '")')
    for rule in rules_in(HERE / "rules"):
        expr = re.sub(r"absent\(up\{[^}]*\}\)", "", rule["expr"])
        assert not own.search(expr), rule.get("alert", rule)


@pytest.mark.parametrize("label", ["app", "job"])
def test_service_label_and_selector_reach_every_rule(tmp_path: Path, label: str) -> None:
    text = DEFAULT_KNOBS.read_text(encoding="utf-8")
    text = text.replace("service_label: service", f"service_label: {label}").replace(
        "selector: []", """selector: ['cluster="eu"', 'namespace=~"shop-.*"']"""
    )
    own = tmp_path / "knobs.yaml"
    own.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["--knobs", str(own), "--out", str(out)]) == 0
    rules = rules_in(out / "rules")
    uses = 0
    for rule in rules:
        expr = rule["expr"]
        for match in USE.finditer(expr):
            matchers = match.group(2) or ""
            if f'{label}="monitoring"' in matchers:
                continue  # the monitoring stack's own targets (MonitoringTargetDown)
            uses += 1
            assert 'cluster="eu"' in matchers, (match.group(0), rule.get("alert", rule))
            assert 'namespace=~"shop-.*"' in matchers, (match.group(0), rule.get("alert", rule))
        for clause in re.findall(r"\b(?:by|on) \(([^)]*)\)", expr):
            assert "service" not in clause.split(", "), (clause, rule.get("alert", rule))
        if "alert" in rule:
            assert rule["labels"]["service"] == f"{{{{ $labels.{label} }}}}", rule["alert"]
            assert "$labels.service" not in str(rule["annotations"]), rule["alert"]
    assert uses > 50
    promtool.check("rules", *sorted((out / "rules").glob("*.yml")))
