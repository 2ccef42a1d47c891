"""``breaker_watch`` on the shipped rule (``CircuitOpen`` with ``service`` and ``dependency``,
its window scaled from 5 m to 3 s): a breaker that recovers pages nobody, one that stays open
pages once the window has passed, saying what was tried."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from alertmanager.recovery.config import DEFAULT_CONFIG
from alertmanager.recovery.procedures.breaker import BreakerWatch
from tests.alertmanager.recovery.harness import firing, recovery_stack, resolved
from tests.servers import wait_for

pytestmark = pytest.mark.slow


def shipped(rule_name: str, **override: Any) -> dict[str, Any]:
    """The project's recovery configuration with only ``rule_name``, some keys overridden."""
    config: dict[str, Any] = yaml.safe_load(DEFAULT_CONFIG.read_text())
    config["rules"] = [{**r, **override} for r in config["rules"] if r["name"] == rule_name]
    config["verify_every"] = "200ms"
    return config


def test_an_open_breaker_pages_only_when_it_does_not_recover(
    database: str, tmp_path: Path
) -> None:
    config = shipped("breaker-stays-open", verify_within="3s")
    scoring = {"alertname": "CircuitOpen", "severity": "warning", "service": "svc-breaker",
               "dependency": "scoring-api"}
    smtp = {**scoring, "dependency": "smtp-relay"}
    with recovery_stack(database, config, {"breaker_watch": BreakerWatch()}, tmp_path) as stack:
        fault = time.time()
        stack.am.post_alerts([firing(scoring, fault), firing(smtp, fault)])

        def acted_on_both() -> bool:
            return stack.decisions("svc-breaker").count("acted") == 2

        wait_for(acted_on_both, "the runner to watch both breakers")
        # The scoring API's half-open probe succeeds: its breaker closes, the alert resolves.
        stack.am.post_alerts([resolved(scoring, fault)])
        page = wait_for(lambda: [a for a in stack.catcher.alerts("/pager")
                                 if a["labels"]["alertname"] == "RecoveryFailed"],
                        "the page for the breaker that stayed open", timeout=30)
        paged_after = time.time() - fault

        rows = stack.rows("svc-breaker")
        by_target = {(r["target"], r["decision"]): r for r in rows}
        verified = by_target[("service=svc-breaker,dependency=scoring-api", "verified")]
        assert verified["seconds"] < 3
        assert ("service=svc-breaker,dependency=scoring-api", "escalated") not in by_target
        failed = by_target[("service=svc-breaker,dependency=smtp-relay", "failed")]
        assert failed["detail"] == ("tried: left the breaker of smtp-relay to its half-open "
                                    "probes; CircuitOpen still active 3 s later")
        assert len(page) == 1 and page[0]["labels"] == {
            "alertname": "RecoveryFailed", "severity": "critical", "service": "svc-breaker",
            "dependency": "smtp-relay", "recovered_alert": "CircuitOpen",
            "procedure": "breaker_watch",
        }
        assert 3 <= paged_after < 15
        print(f"breaker: scoring-api recovered, verified {verified['seconds']:.1f} s after "
              f"the fault; smtp-relay paged {paged_after:.1f} s after the fault (window 3 s)")


def test_an_alert_without_its_dependency_label_is_skipped(database: str, tmp_path: Path) -> None:
    config = shipped("breaker-stays-open")
    labels = {"alertname": "CircuitOpen", "severity": "warning", "service": "svc-nodep"}
    with recovery_stack(database, config, {"breaker_watch": BreakerWatch()}, tmp_path) as stack:
        stack.am.post_alerts([firing(labels, time.time())])
        rows = wait_for(lambda: stack.rows("svc-nodep"), "the decision")
        assert [(r["decision"], r["detail"]) for r in rows] == [
            ("skipped", "precondition: the alert has no dependency label")]
