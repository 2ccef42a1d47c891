"""Every notification template rendered offline by amtool 0.25 and checked for its fields."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from prometheus.catalog import Alert
from tests.alertmanager.harness import TEMPLATES_DIR

RUNBOOK = "https://runbooks.example.test/JobFailed.md"
DASHBOARD = "https://grafana.example.test/d/signalpost-jobs?var-job_type=matching"


def alert(status: str, summary: str, **labels: str) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": Alert.JOB_FAILED.value, "severity": "warning",
                   "service": "api", "job_type": "matching", **labels},
        "annotations": {"summary": summary, "description": f"{summary}: ValueError, permanent",
                        "runbook_url": RUNBOOK, "dashboard_url": DASHBOARD},
        "startsAt": "2026-11-24T10:00:00Z",
        "endsAt": "2026-11-24T10:30:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example.test/graph?g0.expr=x",
        "fingerprint": summary,
    }


def data(*alerts: dict[str, Any]) -> dict[str, Any]:
    firing = any(a["status"] == "firing" for a in alerts)
    group = {"alertname": Alert.JOB_FAILED.value, "service": "api", "job_type": "matching"}
    return {
        "receiver": "warning",
        "status": "firing" if firing else "resolved",
        "alerts": list(alerts),
        "groupLabels": group,
        "commonLabels": {**group, "severity": "warning"},
        "commonAnnotations": {"runbook_url": RUNBOOK},
        "externalURL": "http://alertmanager.example.test:9093",
    }


MIXED = data(
    alert("firing", "First failure", error_class="permanent"),
    alert("firing", "Second failure", error_class="data"),
    alert("resolved", "Old failure"),
)
RESOLVED = data(alert("resolved", "Old failure"))


def render(name: str, payload: dict[str, Any], tmp_path: Path) -> str:
    data_file = tmp_path / "data.json"
    data_file.write_text(json.dumps(payload))
    done = subprocess.run(
        ["amtool", "template", "render", f"--template.glob={TEMPLATES_DIR}/*.tmpl",
         f"--template.text={{{{ template \"{name}\" . }}}}", f"--template.data={data_file}"],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("name", ["signalpost.email.subject", "signalpost.chat.title"])
def test_subject_says_status_count_alert_service_and_job_type(name: str, tmp_path: Path) -> None:
    assert render(name, MIXED, tmp_path) == "[FIRING: 2] JobFailed on api (job type: matching)"
    assert render(name, RESOLVED, tmp_path) == "[RESOLVED] JobFailed on api (job type: matching)"


@pytest.mark.parametrize(
    "name",
    ["signalpost.email.text", "signalpost.email.html", "signalpost.chat.text",
     "signalpost.pager.details"],
)
def test_bodies_carry_every_field(name: str, tmp_path: Path) -> None:
    body = render(name, MIXED, tmp_path)
    assert "2 firing, 1 resolved" in body
    for summary in ("First failure", "Second failure", "Old failure"):
        assert summary in body
        assert f"{summary}: ValueError, permanent" in body
    assert body.count("[FIRING]") == 2
    assert body.count("[RESOLVED]") == 1
    assert body.count(RUNBOOK) == 3
    assert body.count(DASHBOARD) == 3
    assert "matching" in body
    assert "2026-11-24 10:30:00 UTC" in body  # when the resolved one ended
    # Labels sorted by name, every one of them.
    first = body.index("First failure")
    label = r"(?<![-\w]){}(=|</td>)"
    positions = [re.compile(label.format(name)).search(body, first) for name in
                 ("alertname", "error_class", "job_type", "service", "severity")]
    starts = [m.start() for m in positions if m is not None]
    assert len(starts) == 5
    assert starts == sorted(starts)


def test_firing_alerts_come_before_resolved_ones(tmp_path: Path) -> None:
    body = render("signalpost.email.text", MIXED, tmp_path)
    assert body.index("Second failure") < body.index("Old failure")


def test_html_links_runbook_and_dashboard(tmp_path: Path) -> None:
    body = render("signalpost.email.html", MIXED, tmp_path)
    assert f'<a href="{RUNBOOK}">Runbook</a>' in body
    assert f'<a href="{DASHBOARD}">Dashboard</a>' in body
    assert "http://alertmanager.example.test:9093/#/alerts" in body
    assert "#c62828" in body  # firing colour
    assert "#2e7d32" in render("signalpost.email.html", RESOLVED, tmp_path)


def test_pager_summary_is_one_line(tmp_path: Path) -> None:
    summary = render("signalpost.pager.summary", MIXED, tmp_path)
    assert summary == "[FIRING: 2] JobFailed on api (job type: matching): First failure"


def test_chat_link_prefers_the_dashboard(tmp_path: Path) -> None:
    assert render("signalpost.chat.link", MIXED, tmp_path) == "http://alertmanager.example.test:9093"
    with_dashboard = {**MIXED, "commonAnnotations": {"dashboard_url": DASHBOARD}}
    assert render("signalpost.chat.link", with_dashboard, tmp_path) == DASHBOARD


def test_group_without_job_type_or_service(tmp_path: Path) -> None:
    payload = {**RESOLVED, "groupLabels": {"alertname": "MemoryHigh"}}
    assert render("signalpost.email.subject", payload, tmp_path) == (
        "[RESOLVED] MemoryHigh on (no service)"
    )


def test_templates_avoid_functions_unsafe_or_missing_in_0_25() -> None:
    # `title` is racy before 0.26; the others do not exist in 0.25.
    banned = re.compile(r"\b(title|trimSpace|date|tz|toJson|humanizeDuration|since)\b")
    for path in TEMPLATES_DIR.glob("*.tmpl"):
        text = path.read_text()
        actions = re.findall(r"\{\{(.*?)\}\}", text, flags=re.S)
        for action in actions:
            code = re.sub(r'"[^"]*"', '""', action)  # template names in quotes are fine
            if code.strip().startswith("/*"):
                continue
            assert not banned.search(code), f"{path.name}: {{{{{action}}}}}"
