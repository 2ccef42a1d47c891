"""Every alert links a runbook in the repository that says what to do, and its dashboard."""

from __future__ import annotations

from pathlib import Path

import yaml

from prometheus.aftermath import AFTERMATH_ANCHOR
from prometheus.catalog import AFTERMATH, Alert
from prometheus.generate import HERE
from prometheus.knobs import load_knobs

RUNBOOKS = Path(__file__).resolve().parents[2] / "docs" / "runbooks"
# An aftermath alert has no runbook of its own: a section of its cause's.
CAUSE_OF = {str(after): str(cause) for cause, after in AFTERMATH.items()}
SECTIONS = ("## What it means", "## How to confirm", "## How to mitigate", "## Dashboard")


def _alert_rules() -> list[dict[str, object]]:
    rules = []
    for path in sorted((HERE / "rules").glob("*.rules.yml")):
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            rules += [r for r in group["rules"] if "alert" in r]
    return rules


def test_every_alert_has_a_runbook_with_every_section() -> None:
    for alert in Alert:
        if alert in CAUSE_OF:
            text = (RUNBOOKS / f"{CAUSE_OF[alert]}.md").read_text(encoding="utf-8")
            assert f"\n## {AFTERMATH_ANCHOR.capitalize()}\n" in text, alert
            assert f"`{alert}`" in text, alert
            continue
        text = (RUNBOOKS / f"{alert}.md").read_text(encoding="utf-8")
        assert text.startswith(f"# {alert}\n"), alert
        for section in SECTIONS:
            assert section in text, (alert, section)


def test_runbook_url_points_at_the_runbook_and_names_the_dashboard() -> None:
    base = load_knobs().urls.runbooks.rstrip("/")
    for rule in _alert_rules():
        annotations = rule["annotations"]
        assert isinstance(annotations, dict)
        name = rule["alert"]
        if name in CAUSE_OF:
            name = CAUSE_OF[name]
            assert annotations["runbook_url"] == f"{base}/{name}.md#{AFTERMATH_ANCHOR}"
        else:
            assert annotations["runbook_url"] == f"{base}/{name}.md"
        uid = annotations["dashboard_url"].split("/d/")[1].split("?")[0]
        assert f"`{uid}`" in (RUNBOOKS / f"{name}.md").read_text(encoding="utf-8"), name


def test_no_runbook_without_an_alert() -> None:
    assert {p.stem for p in RUNBOOKS.glob("*.md")} == {str(a) for a in Alert} - set(CAUSE_OF)
