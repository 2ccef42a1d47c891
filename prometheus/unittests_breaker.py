"""promtool unit tests of CircuitOpen: a steady shed, low-traffic probing, an idle open
breaker (quiet) and a recovery."""

from __future__ import annotations

from typing import Any

from prometheus.alerting import Dashboard
from prometheus.breaker_alerts import BREAKER_NAME, BREAKER_STATE
from prometheus.catalog import Alert, Severity
from prometheus.knobs import Knobs
from prometheus.testdata import Expect, alert_group, alert_rules_under_test, alert_test, series
from signalpost.semconv import breaker

__all__ = ["breaker_test_files"]


def _breaker(
    svc: str, closed: str, open_: str, half_open: str, rejected: str, opened: str
) -> list[dict[str, str]]:
    target = {"service": svc, "job": "worker", "instance": "worker:8000", BREAKER_NAME: "scoring"}
    states = {"closed": closed, "open": open_, "half_open": half_open}
    return [
        *(series(breaker.STATE.name, {**target, BREAKER_STATE: s}, v) for s, v in states.items()),
        series(breaker.REJECTED_CALLS.exposition_name, target, rejected),
        series(breaker.TRANSITIONS.exposition_name, {**target, BREAKER_STATE: "open"}, opened),
    ]



def breaker_test_files(k: Knobs, e: Expect) -> dict[str, dict[str, Any]]:
    """``breaker-alerts.test.yml``: CircuitOpen's cases against the generated rules."""
    svc = k.services[0]
    co = k.alerts.circuit_open
    firing = e.alert(
        Alert.CIRCUIT_OPEN,
        Severity.WARNING,
        {"service": svc, BREAKER_NAME: "scoring"},
        summary=f"{svc} is shedding scoring: its circuit breaker is open",
        description=(
            f"The circuit breaker guarding scoring has not closed for {co.for_} and keeps "
            "rejecting calls or failing its probes: the dependency fails with transient "
            "errors. Calls get the fallback or fail fast."
        ),
        dashboard=Dashboard.HEALTH,
    )
    a = Alert.CIRCUIT_OPEN
    tests = [
        # Closed, calls flowing: quiet.
        alert_group(_breaker(svc, "1x40", "0x40", "0x40", "0x40", "0x40"), [alert_test("30m", a)]),
        # Open and rejecting calls: not yet within `for`, then firing.
        alert_group(
            _breaker(svc, "0x40", "1x40", "0x40", "0+12x40", "1x40"),
            [alert_test("4m", a), alert_test("8m", a, firing), alert_test("30m", a, firing)],
        ),
        # Low traffic: every call is a probe that fails and re-opens it (no rejection); the
        # scrapes catch it open or half-open.
        alert_group(
            _breaker(
                svc, "0x40", "1 0 1 1 0 1 1 1 0 1x30", "0 1 0 0 1 0 0 0 1 0x30", "0x40", "0+1x40"
            ),
            [alert_test("4m", a), alert_test("9m", a, firing)],
        ),
        # Open but idle since it opened (nobody calls the dependency): nothing is being shed.
        alert_group(
            _breaker(svc, "0x40", "1x40", "0x40", "3x40", "1x40"),
            [alert_test("8m", a), alert_test("30m", a)],
        ),
        # The dependency recovers at 12m: a probe closes the breaker and the alert resolves.
        alert_group(
            _breaker(svc, "0x11 1x28", "1x11 0x28", "0x40", "0+12x11 132x28", "1x40"),
            [alert_test("10m", a, firing), alert_test("13m", a)],
        ),
    ]
    return {
        "breaker-alerts.test.yml": {
            **alert_rules_under_test(k),
            "evaluation_interval": "1m",
            "tests": tests,
        }
    }
