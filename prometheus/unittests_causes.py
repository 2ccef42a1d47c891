"""promtool scenarios of the causes' both ends (``causes.test.yml``, 1-minute interval).

ServiceDown stays firing when the dead worker's target vanishes from service discovery (no
RESOLVED while the worker is dead). Both causes resolve as soon as they clear, while their
aftermath alerts (:mod:`prometheus.aftermath`) keep firing for the symptoms' longest window
(:func:`prometheus.inhibition.symptom_lag`), so the lagging symptoms stay inhibited. The start
of an outage is ordered by ``for`` durations, checked in tests/prometheus/test_inhibition.py.
"""

from __future__ import annotations

from typing import Any

from prometheus import selfmetrics as m
from prometheus.aftermath import AFTERMATH_ANCHOR
from prometheus.catalog import AFTERMATH
from prometheus.catalog import Alert as A
from prometheus.catalog import Severity as S
from prometheus.inhibition import symptom_lag
from prometheus.knobs import Knobs, seconds
from prometheus.testdata import Expect, alert_group, alert_rules_under_test, alert_test, series
from prometheus.unittests_availability import service_down
from prometheus.unittests_health import database_down
from signalpost.semconv import health

__all__ = ["cause_test_files"]

Case = dict[str, Any]


def aftermath(name: A, cause: Case, hold: str) -> Case:
    """The expected aftermath alert of the cause ``name`` whose expected alert is ``cause``."""
    notes = cause["exp_annotations"]
    return {
        "exp_labels": {**cause["exp_labels"], "severity": str(S.INFO)},
        "exp_annotations": {
            **notes,
            "summary": f"aftermath of {name}: {notes['summary']}",
            "description": (
                f"Inhibition only, never notifies: fires with {name} and keeps firing {hold} "
                f"after it resolves, so the symptoms it explains (computed over windows up to "
                f"{hold}) do not page after the all-clear."
            ),
            "runbook_url": f"{notes['runbook_url']}#{AFTERMATH_ANCHOR}",
        },
    }


def _minutes(duration: str) -> int:
    return int(seconds(duration) // 60)


def _scenarios(k: Knobs) -> list[Case]:
    e = Expect(k)
    svc = k.services[0]
    app = {"service": svc, "job": "app", "instance": "app:8000"}
    worker = {"service": svc, "job": "worker", "instance": "worker:8000"}
    hold = _minutes(symptom_lag(k))
    worker_down = service_down(e, svc, "worker")
    db_down = database_down(e, svc)
    status = health.CHECK_STATUS.name

    def postgres(state: str, values: str) -> dict[str, str]:
        labels = {**app, "health_check_name": "postgres", "health_check_kind": "critical",
                  "health_status": state}
        return series(status, labels, values)

    lag = symptom_lag(k)
    end = 15 + hold + 20
    worker_after = aftermath(A.SERVICE_DOWN, worker_down, lag)
    db_after = aftermath(A.DATABASE_DOWN, db_down, lag)
    service_after, database_after = AFTERMATH[A.SERVICE_DOWN], AFTERMATH[A.DATABASE_DOWN]
    return [
        # The worker dies at 5m; at 12m service discovery removes its target (stale marker):
        # `up` is gone, not 0. ServiceDown must not resolve; the app's stays quiet.
        alert_group(
            [series(m.UP, app, f"1x{end}"), series(m.UP, worker, "1x4 0x6 stale")],
            [
                alert_test("5m", A.SERVICE_DOWN),
                alert_test("8m", A.SERVICE_DOWN, worker_down),
                alert_test("13m", A.SERVICE_DOWN, worker_down),
                alert_test("30m", A.SERVICE_DOWN, worker_down),
                alert_test(f"{end}m", A.SERVICE_DOWN, worker_down),
                alert_test(f"{end}m", service_after, worker_after),
            ],
        ),
        # The worker is down from 5m to 15m, then answers again: ServiceDown resolves at once
        # (the all-clear is true); its aftermath keeps firing (and inhibiting the worker's
        # lagging symptoms) for the hold, then resolves.
        alert_group(
            [series(m.UP, app, f"1x{end}"), series(m.UP, worker, f"1x4 0x10 1x{end}")],
            [
                alert_test("5m", service_after),
                alert_test("8m", service_after, worker_after),
                alert_test("14m", A.SERVICE_DOWN, worker_down),
                alert_test("14m", service_after, worker_after),
                alert_test("16m", A.SERVICE_DOWN),
                alert_test("16m", service_after, worker_after),
                alert_test(f"{15 + hold - 2}m", A.SERVICE_DOWN),
                alert_test(f"{15 + hold - 2}m", service_after, worker_after),
                alert_test(f"{15 + hold + 2}m", service_after),
            ],
        ),
        # The database is unreachable from 5m to 15m: DatabaseDown resolves with it, its
        # aftermath holds on after recovery.
        alert_group(
            [
                postgres("healthy", f"1x4 0x10 1x{end}"),
                postgres("unhealthy", f"0x4 1x10 0x{end}"),
                postgres("degraded", f"0x{end + 15}"),
            ],
            [
                alert_test("5m", A.DATABASE_DOWN),
                alert_test("5m", database_after),
                alert_test("8m", A.DATABASE_DOWN, db_down),
                alert_test("8m", database_after, db_after),
                alert_test("16m", A.DATABASE_DOWN),
                alert_test("16m", database_after, db_after),
                alert_test(f"{15 + hold - 2}m", A.DATABASE_DOWN),
                alert_test(f"{15 + hold - 2}m", database_after, db_after),
                alert_test(f"{15 + hold + 2}m", database_after),
            ],
        ),
    ]


def cause_test_files(knobs: Knobs) -> dict[str, dict[str, Any]]:
    """Test file name (under ``tests/``) to its content."""
    return {
        "causes.test.yml": {
            **alert_rules_under_test(knobs),
            "evaluation_interval": "1m",
            "tests": _scenarios(knobs),
        }
    }
