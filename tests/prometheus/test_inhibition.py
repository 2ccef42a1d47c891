"""The generated rules fit the inhibition rules: symptoms carry the job that explains them, and
no symptom can fire (and notify) before the cause that inhibits it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from demo.stack import PROMETHEUS_KNOBS
from prometheus.catalog import (
    AFTERMATH,
    INHIBITED_BY_DATABASE_DOWN,
    INHIBITED_BY_SERVICE_DOWN,
    SYMPTOM_FAMILY,
    Alert,
)
from prometheus.inhibition import symptom_lag
from prometheus.knobs import DEFAULT_KNOBS, KnobsError, load_knobs, seconds
from prometheus.rulefiles import rule_files
from prometheus.testdata import TEST_KNOBS

ROOT = DEFAULT_KNOBS.parents[1]

# Their condition is itself an age far above any cause's `for` (a run without progress for
# `no_progress_after`, a job type without success for `succeed_every`): checked below.
AGE_BASED = {Alert.JOB_STUCK, Alert.JOB_NOT_SUCCEEDED, Alert.JOB_WAITING_TOO_LONG}
# A cause is detected up to one scrape and one evaluation after its symptom's series moved.
DETECTION_MARGIN = seconds("1m")


# The repository's knobs, the unit tests' (every alert has a rule) and the demo's.
KNOBS = (DEFAULT_KNOBS, TEST_KNOBS, PROMETHEUS_KNOBS)


def _alerts(path: Path = TEST_KNOBS) -> list[dict[str, Any]]:
    knobs = load_knobs(path)
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
    knobs = load_knobs(TEST_KNOBS)
    families = {*SYMPTOM_FAMILY, Alert.ERROR_BUDGET_BURN_FAST, Alert.ERROR_BUDGET_BURN_SLOW}
    seen = set()
    for rule in _alerts(TEST_KNOBS):
        name = Alert(rule["alert"])
        if name not in families:
            continue
        seen.add(name)
        job = rule["labels"].get("job")
        assert job in {j for _, j in knobs.service_jobs}, (name, rule["labels"])
        slo = rule["labels"].get("slo")
        kinds = {o.name: o.kind for o in knobs.slos.objectives}
        worker_side = name.startswith("Job") or kinds.get(slo or "") == "job_success"
        assert job == knobs.symptom_job("jobs" if worker_side else "http")
    assert seen == families
    spike = next(r for r in _alerts(TEST_KNOBS) if r["alert"] == Alert.ERROR_SPIKE)
    assert "by (service, job, error_source)" in spike["expr"]  # the raw series' own job


@pytest.mark.parametrize("path", KNOBS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_inhibited_symptom_fires_before_its_cause(path: Path) -> None:
    """The transient JobFailed e-mailed before DatabaseDown fired: every symptom's ``for`` must
    outlast its cause's, plus the time the cause takes to show."""
    knobs = load_knobs(path)
    rules = _alerts(path)
    by_name: dict[str, list[dict[str, Any]]] = {}
    for rule in rules:
        by_name.setdefault(rule["alert"], []).append(rule)
    pairs = [(Alert.SERVICE_DOWN, t) for t in INHIBITED_BY_SERVICE_DOWN]
    pairs += [(Alert.DATABASE_DOWN, t) for t in (*INHIBITED_BY_DATABASE_DOWN, Alert.JOB_FAILED)]
    checked = 0
    for cause, target in pairs:
        (cause_rule,) = by_name[cause]
        for rule in by_name.get(target, []):
            if target in AGE_BASED:
                continue
            assert _for(rule) >= _for(cause_rule) + DETECTION_MARGIN, (cause, target, rule["for"])
            checked += 1
    assert checked >= (len(pairs) - len(AGE_BASED) if path == TEST_KNOBS else 1)
    causes = max(_for(by_name[c][0]) for c in (Alert.SERVICE_DOWN, Alert.DATABASE_DOWN))
    ages = [seconds(knobs.alerts.job_stuck.no_progress_after)]
    ages += [seconds(t.succeed_every) for t in knobs.job_types.values() if t.succeed_every]
    ages += [seconds(t.no_progress_after) for t in knobs.job_types.values() if t.no_progress_after]
    ages += [seconds(knobs.alerts.job_waiting_too_long.max_wait)]
    ages += [seconds(t.max_wait) for t in knobs.job_types.values() if t.max_wait]
    assert min(ages) >= causes + DETECTION_MARGIN


def test_causes_resolve_at_once_and_their_aftermath_holds_for_the_longest_lag() -> None:
    knobs = load_knobs(TEST_KNOBS)
    hold = symptom_lag(knobs)
    assert hold == "30m"  # the failure ratio's window and the 6h/30m fast burn's short window
    by_name = {rule["alert"]: rule for rule in _alerts(TEST_KNOBS)}
    for cause, after in AFTERMATH.items():
        assert by_name[after]["keep_firing_for"] == hold
        # One source of truth: the cause's condition and `for`, with `info` (no one is told).
        assert (by_name[after]["expr"], by_name[after]["for"]) == (
            by_name[cause]["expr"], by_name[cause]["for"])
        assert by_name[after]["labels"]["severity"] == "info"
    for rule in by_name.values():
        if rule["alert"] not in AFTERMATH.values():
            assert "keep_firing_for" not in rule, rule["alert"]


def test_symptom_jobs_must_name_scraped_jobs(tmp_path: Path) -> None:
    """A symptom job nobody scrapes would silently disable ServiceDown's inhibition."""
    path = tmp_path / "knobs.yaml"
    services = "services: {shop: {web: ['web:8000'], tasks: ['tasks:8000']}}\n"
    path.write_text(services + "symptom_jobs: {http: api}\n", encoding="utf-8")
    with pytest.raises(KnobsError, match=r"symptom_jobs\.http: 'api' is not a scrape job"):
        load_knobs(path)
    path.write_text(
        services + "symptom_jobs: {http: web, jobs: tasks}\n"
        "alerts: {database_down: {for: 1m, keep_firing_for: 1m, inhibit_for: 5m}}\n",
        encoding="utf-8",
    )
    knobs = load_knobs(path)
    holds = {r["alert"]: r.get("keep_firing_for")
             for g in rule_files(knobs)["alerts.rules.yml"]["groups"] for r in g["rules"]}
    assert (holds[Alert.DATABASE_DOWN], holds[Alert.DATABASE_DOWN_AFTERMATH]) == ("1m", "5m")
    latency = [r for g in rule_files(knobs)["alerts.rules.yml"]["groups"] for r in g["rules"]
               if r["alert"] == Alert.HIGH_LATENCY]
    assert {r["labels"]["job"] for r in latency} == {"web"}


def test_symptom_jobs_default_to_app_and_worker_else_the_app(tmp_path: Path) -> None:
    path = tmp_path / "knobs.yaml"
    path.write_text("services: {a: {app: ['a:1'], worker: ['w:1']}}\n", encoding="utf-8")
    assert (load_knobs(path).symptom_job("http"), load_knobs(path).symptom_job("jobs")) == (
        "app", "worker")
    path.write_text("services: {a: {web: ['a:1']}}\n", encoding="utf-8")
    assert (load_knobs(path).symptom_job("http"), load_knobs(path).symptom_job("jobs")) == (
        "web", "web")  # jobs run in the app
