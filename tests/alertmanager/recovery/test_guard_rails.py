"""The guard rails, end to end: a real Alertmanager (the generated routing) posts to the runner,
which records every decision in PostgreSQL and escalates to that Alertmanager."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from alertmanager.recovery.app import create_app
from alertmanager.recovery.config import parse_config
from tests.alertmanager.recovery.harness import RunnerServer, firing, recovery_stack
from tests.alertmanager.recovery.procedures import Scripted
from tests.servers import free_port, wait_for

pytestmark = pytest.mark.slow


def _rule(name: str, alert: str, procedure: str, **limits: Any) -> dict[str, Any]:
    return {"name": name, "alert": alert, "procedure": procedure,
            "target_labels": ["service", "job_type"], "max_per_target": 2,
            "max_per_procedure": 10, "window": "1h", "verify_within": "1s", **limits}


def test_a_procedure_that_does_not_help_is_not_repeated_past_its_limit(
    database: str, tmp_path: Path
) -> None:
    """A runaway loop: Alertmanager re-sends the firing alert every 2 s, the procedure never
    helps. It runs twice (its per-target limit), each failure escalates, then every re-send is
    skipped by the rate limit."""
    useless = Scripted()
    config = {"allow": ["restart_queue"], "verify_every": "200ms",
              "rules": [_rule("jammed", "QueueJammed", "restart_queue")]}
    labels = {"alertname": "QueueJammed", "severity": "warning", "service": "svc-loop",
              "job_type": "emails"}
    with recovery_stack(database, config, {"restart_queue": useless}, tmp_path,
                        repeat_interval="2s") as stack:
        stack.am.post_alerts([firing(labels, time.time())])

        def limited() -> bool:
            skips = [r for r in stack.rows("svc-loop") if r["decision"] == "skipped"
                     and r["detail"].startswith("rate limit per target")]
            return len(skips) >= 2

        wait_for(limited, "two re-sends skipped by the per-target limit", timeout=40)
        rows = stack.rows("svc-loop")
        assert useless.acts == 2
        assert [r["decision"] for r in rows].count("acted") == 2
        assert [r["decision"] for r in rows].count("escalated") == 2
        failed = [r for r in rows if r["decision"] == "failed"]
        assert [f["detail"] for f in failed] == [
            f"tried: action {n}; QueueJammed still active 1 s later" for n in (1, 2)
        ]
        assert rows[0]["target"] == "service=svc-loop,job_type=emails"
        assert "(max 2)" in rows[-1]["detail"]

        # The escalation is an alert in Alertmanager, paged through the generated routing.
        escalation = wait_for(lambda: stack.escalations("svc-loop"), "RecoveryFailed")[0]
        assert escalation["labels"] == {
            "alertname": "RecoveryFailed", "severity": "critical", "service": "svc-loop",
            "job_type": "emails", "recovered_alert": "QueueJammed", "procedure": "restart_queue",
        }
        assert escalation["annotations"]["description"].startswith("tried: action ")
        paged = wait_for(lambda: [a for a in stack.catcher.alerts("/pager")
                                  if a["labels"]["alertname"] == "RecoveryFailed"], "the page")
        assert paged[0]["labels"]["recovered_alert"] == "QueueJammed"

        # The runner's own /metrics says the same, from the same decisions.
        samples = _samples(httpx.get(f"{stack.runner.url}/metrics").text)
        counted = {d: samples[("signalpost_recovery_decisions_total",
                               (("decision", d), ("procedure", "restart_queue")))]
                   for d in ("acted", "failed", "escalated", "verified")}
        assert counted == {"acted": 2, "failed": 2, "escalated": 2, "verified": 0}
        procedure = (("procedure", "restart_queue"),)
        assert samples[("signalpost_recovery_actions_in_flight", procedure)] == 0
        assert samples[("signalpost_recovery_verification_duration_seconds_count",
                        (("outcome", "failed"), ("procedure", "restart_queue")))] == 2
        last = samples[("signalpost_recovery_last_escalation_timestamp_seconds", procedure)]
        assert time.time() - 60 < last <= time.time()


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text) for s in family.samples
    }


def test_allow_list_precondition_dry_run_and_per_procedure_limit(
    database: str, tmp_path: Path
) -> None:
    listed_off = Scripted()
    nothing_to_do = Scripted(precondition="no stuck run is listed")
    dry = Scripted()
    shared = Scripted(verified=True)
    config = {
        "allow": ["precondition", "dry", "shared"],
        "rules": [
            _rule("off", "AlertOff", "not_allowed"),
            _rule("pre", "AlertPre", "precondition"),
            _rule("dry", "AlertDry", "dry", dry_run=True),
            _rule("shared", "AlertShared", "shared", max_per_target=5, max_per_procedure=1),
        ],
    }
    procedures = {"not_allowed": listed_off, "precondition": nothing_to_do, "dry": dry,
                  "shared": shared}
    now = time.time()
    with recovery_stack(database, config, procedures, tmp_path) as stack:
        stack.am.post_alerts([
            firing({"alertname": "AlertOff", "service": "svc-off", "severity": "warning"}, now),
            firing({"alertname": "AlertPre", "service": "svc-pre", "severity": "warning"}, now),
            firing({"alertname": "AlertDry", "service": "svc-dry", "severity": "warning"}, now),
            # Two targets of one procedure allowed once per window: one acts, whichever first.
            *[firing({"alertname": "AlertShared", "service": "svc-shared", "job_type": t,
                      "severity": "warning"}, now) for t in ("a", "b")],
        ])
        off = wait_for(lambda: stack.rows("svc-off"), "the allow-list decision")
        assert [(r["decision"], r["detail"]) for r in off] == [
            ("skipped", "not allowed: not_allowed is not in the allow-list")]
        pre = wait_for(lambda: stack.rows("svc-pre"), "the precondition decision")
        assert [(r["decision"], r["detail"]) for r in pre] == [
            ("skipped", "precondition: no stuck run is listed")]
        dry_rows = wait_for(lambda: stack.rows("svc-dry"), "the dry run")
        assert [(r["decision"], r["detail"]) for r in dry_rows] == [
            ("dry_run", "would run dry on service=svc-dry,job_type=")]
        wait_for(lambda: sorted(stack.decisions("svc-shared")) == ["acted", "skipped", "verified"],
                 "one action verified, the other target skipped")
        skipped = next(r for r in stack.rows("svc-shared") if r["decision"] == "skipped")
        assert skipped["detail"].startswith("rate limit per procedure: 1 action(s) of shared")
        assert (listed_off.acts, nothing_to_do.acts, dry.acts, shared.acts) == (0, 0, 0, 1)
        assert stack.escalations("svc-shared") == []


def test_nothing_runs_without_its_record(tmp_path: Path) -> None:
    """The database is unreachable: the runner answers 503 (Alertmanager delivers again) and
    the procedure is not run."""
    procedure = Scripted()
    config = parse_config({"allow": ["restart_queue"],
                           "rules": [_rule("jammed", "QueueJammed", "restart_queue")]})
    app = create_app(f"host=127.0.0.1 port={free_port()} dbname=x connect_timeout=1", config,
                     {"restart_queue": procedure}, "http://127.0.0.1:1", pool_timeout=1.0,
                     from_loopback=True)
    runner = RunnerServer(app, free_port())
    try:
        notification = {
            "version": "4", "receiver": "recovery", "groupKey": "{}:{}", "status": "firing",
            "alerts": [{**firing({"alertname": "QueueJammed", "service": "s"}, time.time()),
                        "status": "firing", "fingerprint": "f1"}],
        }
        answer = httpx.post(f"{runner.url}/alerts", json=notification, timeout=30)
        assert answer.status_code == 503 and answer.headers["retry-after"] == "10"
        assert httpx.post(f"{runner.url}/alerts", content=b"{}", timeout=30).status_code == 400
        assert procedure.acts == 0
    finally:
        runner.stop()


def _notification(alertname: str) -> dict[str, Any]:
    return {
        "version": "4", "receiver": "recovery", "groupKey": "{}:{}", "status": "firing",
        "alerts": [{**firing({"alertname": alertname, "service": "s"}, time.time()),
                    "status": "firing", "fingerprint": "f1"}],
    }


def test_a_notification_without_the_webhook_token_is_refused_and_runs_nothing(
    tmp_path: Path,
) -> None:
    """The runner acts on what it receives: without the token (or with another) it answers
    401 before reading the body; with no token configured and no loopback switch, 403."""
    procedure = Scripted()
    config = parse_config({"allow": ["restart_queue"],
                           "rules": [_rule("jammed", "QueueJammed", "restart_queue")]})
    closed_db = f"host=127.0.0.1 port={free_port()} dbname=x connect_timeout=1"
    guarded = RunnerServer(create_app(closed_db, config, {"restart_queue": procedure},
                                      "http://127.0.0.1:1", pool_timeout=1.0,
                                      webhook_token="right"), free_port())
    default = RunnerServer(create_app(closed_db, config, {"restart_queue": procedure},
                                      "http://127.0.0.1:1", pool_timeout=1.0), free_port())
    try:
        body = _notification("QueueJammed")
        url = f"{guarded.url}/alerts"
        assert httpx.post(url, json=body, timeout=30).status_code == 401
        wrong = {"Authorization": "Bearer wrong"}
        answer = httpx.post(url, json=body, headers=wrong, timeout=30)
        assert answer.status_code == 401 and "bearer token" in answer.json()["error"]
        # With the token it goes on to the store (unreachable here: 503, Alertmanager retries).
        right = {"Authorization": "Bearer right"}
        assert httpx.post(url, json=body, headers=right, timeout=30).status_code == 503
        answer = httpx.post(f"{default.url}/alerts", json=body, timeout=30)
        assert answer.status_code == 403 and "RECOVERY_WEBHOOK_TOKEN_FILE" in answer.json()["error"]
        assert procedure.acts == 0
    finally:
        guarded.stop()
        default.stop()


def test_the_runner_does_not_start_open(tmp_path: Path) -> None:
    """Neither a webhook token nor the loopback switch: it refuses to start, in one line."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "DATABASE_URL": "host=127.0.0.1 port=1 dbname=x",
           "ALERTMANAGER_URL": "http://127.0.0.1:1", "RECOVERY_PROCEDURES": "m:f"}
    env.pop("RECOVERY_WEBHOOK_TOKEN_FILE", None)
    env.pop("RECOVERY_WEBHOOK_FROM_LOOPBACK", None)
    run = subprocess.run([sys.executable, "-m", "alertmanager.recovery"], env=env,
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "alertmanager.recovery: set RECOVERY_WEBHOOK_TOKEN_FILE (the token Alertmanager sends), "
        "or RECOVERY_WEBHOOK_FROM_LOOPBACK=true to accept loopback callers only"
    ]
    empty = tmp_path / "token"
    empty.write_text("\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "alertmanager.recovery"],
                         env={**env, "RECOVERY_WEBHOOK_TOKEN_FILE": str(empty)},
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 2 and "is empty" in run.stderr, run.stderr
