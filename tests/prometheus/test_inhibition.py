"""The generated rules fit the inhibition rules: symptoms carry the job that explains them, and
no symptom can fire (and notify) before the cause that inhibits it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from prometheus.catalog import (
    INHIBITED_BY_DATABASE_DOWN,
    INHIBITED_BY_SERVICE_DOWN,
    SYMPTOM_FAMILY,
    Alert,
)
from prometheus.inhibition import symptom_lag
from prometheus.knobs import KnobsError, load_knobs, seconds
from prometheus.rulefiles import rule_files

# Their condition is itself an age far above any cause's `for` (a run without progress for
# `no_progress_after`, a job type without success for `succeed_every`): checked below.
AGE_BASED = {Alert.JOB_STUCK, Alert.JOB_NOT_SUCCEEDED}
# A cause is detected up to one scrape and one evaluation after its symptom's series moved.
DETECTION_MARGIN = seconds("1m")


def _alerts() -> list[dict[str, Any]]:
    knobs = load_knobs()
    return [
        rule
        for content in rule_files(knobs).values()
        for group in content["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]


def _for(rule: dict[str, Any]) -> float:
    return seconds(rule.get("for", "0m"))


def test_every_symptom_carries_the_job_whose_service_down_explains_it() -> None:
    knobs = load_knobs()
    families = {*SYMPTOM_FAMILY, Alert.ERROR_BUDGET_BURN_FAST, Alert.ERROR_BUDGET_BURN_SLOW}
    seen = set()
    for rule in _alerts():
        name = Alert(rule["alert"])
        if name not in families:
            continue
        seen.add(name)
        job = rule["labels"].get("job")
        assert job in knobs.scrape_jobs, (name, rule["labels"])
        slo = rule["labels"].get("slo")
        kinds = {o.name: o.kind for o in knobs.slos.objectives}
        worker_side = name.startswith("Job") or kinds.get(slo or "") == "job_success"
        assert job == (knobs.symptom_jobs.jobs if worker_side else knobs.symptom_jobs.http)
    assert seen == families
    spike = next(r for r in _alerts() if r["alert"] == Alert.ERROR_SPIKE)
    assert "by (service, job, error_source)" in spike["expr"]  # the raw series' own job


def test_no_inhibited_symptom_fires_before_its_cause() -> None:
    """The transient JobFailed e-mailed before DatabaseDown fired: every symptom's ``for`` must
    outlast its cause's, plus the time the cause takes to show."""
    knobs = load_knobs()
    rules = _alerts()
    by_name: dict[str, list[dict[str, Any]]] = {}
    for rule in rules:
        by_name.setdefault(rule["alert"], []).append(rule)
    pairs = [(Alert.SERVICE_DOWN, t) for t in INHIBITED_BY_SERVICE_DOWN]
    pairs += [(Alert.DATABASE_DOWN, t) for t in (*INHIBITED_BY_DATABASE_DOWN, Alert.JOB_FAILED)]
    checked = 0
    for cause, target in pairs:
        (cause_rule,) = by_name[cause]
        for rule in by_name[target]:
            if target in AGE_BASED:
                continue
            assert _for(rule) >= _for(cause_rule) + DETECTION_MARGIN, (cause, target, rule["for"])
            checked += 1
    assert checked >= len(pairs) - len(AGE_BASED)
    causes = max(_for(by_name[c][0]) for c in (Alert.SERVICE_DOWN, Alert.DATABASE_DOWN))
    ages = [seconds(knobs.alerts.job_stuck.no_progress_after)]
    ages += [seconds(t.succeed_every) for t in knobs.job_types.values() if t.succeed_every]
    ages += [seconds(t.no_progress_after) for t in knobs.job_types.values() if t.no_progress_after]
    assert min(ages) >= causes + DETECTION_MARGIN


def test_causes_keep_firing_for_the_longest_lagging_symptom() -> None:
    knobs = load_knobs()
    hold = symptom_lag(knobs)
    assert hold == "30m"  # the failure ratio's window and the 6h/30m fast burn's short window
    for rule in _alerts():
        if rule["alert"] in (Alert.SERVICE_DOWN, Alert.DATABASE_DOWN):
            assert rule["keep_firing_for"] == hold
        else:
            assert "keep_firing_for" not in rule, rule["alert"]


def test_symptom_jobs_must_name_scraped_jobs(tmp_path: Path) -> None:
    """A symptom job nobody scrapes would silently disable ServiceDown's inhibition."""
    path = tmp_path / "knobs.yaml"
    path.write_text("services: [shop]\nscrape_jobs: [web, tasks]\n", encoding="utf-8")
    with pytest.raises(KnobsError, match=r"symptom_jobs\.http: 'app' is not one of scrape_jobs"):
        load_knobs(path)
    path.write_text(
        "services: [shop]\nscrape_jobs: [web, tasks]\nsymptom_jobs: {http: web, jobs: tasks}\n"
        "alerts: {database_down: {for: 1m, keep_firing_for: 5m}}\n",
        encoding="utf-8",
    )
    knobs = load_knobs(path)
    (down,) = [r for g in rule_files(knobs)["alerts.rules.yml"]["groups"] for r in g["rules"]
               if r["alert"] == Alert.DATABASE_DOWN]
    assert down["keep_firing_for"] == "5m"
    latency = [r for g in rule_files(knobs)["alerts.rules.yml"]["groups"] for r in g["rules"]
               if r["alert"] == Alert.HIGH_LATENCY]
    assert {r["labels"]["job"] for r in latency} == {"web"}
