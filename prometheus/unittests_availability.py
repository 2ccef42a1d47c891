"""promtool unit tests of the availability alerts (``alerts.test.yml``)."""

from __future__ import annotations

from typing import Any

from prometheus import selfmetrics as m
from prometheus.alerting import Dashboard as D
from prometheus.catalog import Alert as A
from prometheus.catalog import Severity as S
from prometheus.knobs import Knobs
from prometheus.testdata import Expect, alert_group, alert_test, series

__all__ = ["availability_tests", "service_down"]


def service_down(e: Expect, svc: str, job: str) -> dict[str, Any]:
    """ServiceDown of ``svc`` firing for its ``job`` targets (``for: 1m`` in the tests' knobs)."""
    return e.alert(
        A.SERVICE_DOWN,
        S.CRITICAL,
        {"service": svc, "job": job},
        summary=f"{svc} is down: no {job} target answers",
        description=(
            f"Every {job} target of {svc} has failed its scrapes, or none is left to scrape, "
            "for 1m."
        ),
        dashboard=D.HEALTH,
    )


def availability_tests(k: Knobs, e: Expect) -> list[dict[str, Any]]:
    """ServiceDown, InstanceDown and TargetMissing (1-minute interval)."""
    svc = k.services[0]
    app = {"service": svc, "job": "app", "instance": "app:8000"}
    worker = {"service": svc, "job": "worker", "instance": "worker:8000"}
    down = service_down(e, svc, "app")
    missing = e.alert(
        A.TARGET_MISSING,
        S.CRITICAL,
        {"service": svc, "job": "app"},
        summary="No app target to scrape",
        description=(
            "Prometheus has had no app target to scrape for 5m: service discovery "
            "or the scrape configuration lost it, so nothing about it is monitored."
        ),
        dashboard=D.HEALTH,
    )
    replica = {**app, "instance": "app-2:8000"}
    one_down = e.alert(
        A.INSTANCE_DOWN,
        S.WARNING,
        {"service": svc, "job": "app", "instance": "app-2:8000"},
        summary=f"{svc}: app target app-2:8000 is down",
        description=(
            f"app-2:8000 has failed its scrapes for 5m; other app targets of {svc} still answer."
        ),
        dashboard=D.HEALTH,
    )
    return [
        alert_group(
            [series(m.UP, app, "1x10"), series(m.UP, worker, "1x10")],
            [
                alert_test("5m", A.SERVICE_DOWN),
                alert_test("8m", A.TARGET_MISSING),
                alert_test("8m", A.INSTANCE_DOWN),
            ],
        ),
        # One of two app replicas down: InstanceDown, not ServiceDown.
        alert_group(
            [
                series(m.UP, app, "1x10"),
                series(m.UP, replica, "0x10"),
                series(m.UP, worker, "1x10"),
            ],
            [
                alert_test("3m", A.INSTANCE_DOWN),
                alert_test("6m", A.INSTANCE_DOWN, one_down),
                alert_test("6m", A.SERVICE_DOWN),
            ],
        ),
        alert_group(
            [series(m.UP, app, "0x10"), series(m.UP, worker, "1x10")],
            [
                alert_test("0m", A.SERVICE_DOWN),
                alert_test("3m", A.SERVICE_DOWN, down),
                alert_test("8m", A.INSTANCE_DOWN),
            ],
        ),
        alert_group(
            [series(m.UP, worker, "1x10")],
            [alert_test("4m", A.TARGET_MISSING), alert_test("6m", A.TARGET_MISSING, missing)],
        ),
    ]
