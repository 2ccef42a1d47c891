"""Realistic scenario tests (promtool), beside the per-alert unit tests.

Restarts that reset counters, series that appear mid-window, low traffic, several replicas,
hourly and sporadic job failures: each scenario proves the right alert fires or stays quiet.
``firing`` checks read ``ALERTS`` (the alert's presence and severity); ``quiet`` checks are
empty ``alert_rule_test`` cases.
"""

from __future__ import annotations

from typing import Any

from prometheus import recording as r
from prometheus import selfmetrics as m
from prometheus.catalog import Alert as A
from prometheus.catalog import Severity as S
from prometheus.knobs import Knobs
from prometheus.testdata import alert_test, expr_test, labels_text, rules_under_test, series
from signalpost.semconv import http, jobs

__all__ = ["scenario_files"]

Case = dict[str, Any]
COUNT = f"{http.REQUEST_DURATION.name}_count"
AVAIL = "http-availability"


def _firing(at: str, alert: A, severity: S, count: int = 1) -> Case:
    """``count`` alerts ``alert`` of ``severity`` firing at ``at``."""
    return expr_test(
        at,
        f'count by (alertname, severity) (ALERTS{{alertname="{alert}", alertstate="firing"}})',
        (labels_text("", {"alertname": str(alert), "severity": str(severity)}), count),
    )


def _near(at: str, expr: str, labels: dict[str, str], value: float) -> Case:
    """``expr`` is within 1e-9 of ``value`` (promtool compares floats exactly)."""
    return expr_test(at, f"abs({expr} - {value!r}) < bool 1e-9", (labels_text("", labels), 1))


def _group(inputs: list[dict[str, str]], cases: list[Case], interval: str = "1m") -> Case:
    return {
        "interval": interval,
        "input_series": inputs,
        "alert_rule_test": [c for c in cases if "alertname" in c],
        "promql_expr_test": [c for c in cases if "expr" in c],
    }


def _steps(*parts: tuple[float, float, int]) -> str:
    """promtool values from (start, step, count) runs: ``0+120x59 0+120x119``."""
    return " ".join(f"{a:g}+{b:g}x{n - 1}" for a, b, n in parts)


def _http(svc: str) -> list[Case]:
    app = {"service": svc, "job": "app", "instance": "app-1:8000"}
    req = {**app, "http_request_method": "GET", "http_route": "/a"}
    ok, bad = (
        {**req, "http_response_status_code": "200"},
        {**req, "http_response_status_code": "500"},
    )
    route = {"service": svc, "http_route": "/a"}
    slo = {"service": svc, "slo": AVAIL}
    errs = f'{r.HTTP_ERRORS}{{http_route="/a"}}'
    slo_bad = f'{r.SLO_BAD}{{slo="{AVAIL}"}}'
    up = series(m.UP, app, "1x180")
    return [
        # 1. A deploy at 60m resets the counters; the first 5xx of the new process comes at 90m
        # and appears at 1: it counts (1/300 per second over 5 minutes), then leaves the window.
        _group(
            [
                series(m.UP, app, "1x59 0 1x119"),
                series(COUNT, ok, _steps((0, 120, 60), (0, 120, 120))),
                series(COUNT, bad, "_x90 1x89"),
            ],
            [
                _near("92m", f"{errs} * 300", route, 1),
                _near("92m", f"{slo_bad} * 300", slo, 1),
                expr_test("92m", f"{r.HTTP_ERROR_RATIO} > bool 0", (labels_text("", route), 1)),
                _near("97m", errs, route, 0),
                alert_test("100m", A.ERROR_BUDGET_BURN_FAST),
            ],
        ),
        # 2. Low traffic (30 requests an hour): two single 5xx an hour apart never page
        # (the 1h ratio is 3% > 1.44%, but 2 bad events < min_bad_events) ...
        _group(
            [up, series(COUNT, ok, "0+0.5x180"), series(COUNT, bad, "_x30 1x30 2x119")],
            [alert_test(at, A.ERROR_BUDGET_BURN_FAST) for at in ("34m", "64m", "70m", "90m")],
        ),
        # ... a real outage at the same traffic does: every request fails from 60m on.
        _group(
            [up, series(COUNT, ok, "0+0.5x60 30x120"), series(COUNT, bad, "_x60 1+0.5x119")],
            [
                alert_test("62m", A.ERROR_BUDGET_BURN_FAST),
                _firing("80m", A.ERROR_BUDGET_BURN_FAST, S.CRITICAL),
            ],
        ),
        # 3. Restarts every 20 minutes reset every counter (0.05% errors): no burn, no first
        # appearance counted twice.
        _group(
            [
                series(m.UP, app, "1x180"),
                series(COUNT, ok, _steps(*[(0, 300, 20)] * 9)),
                series(COUNT, bad, _steps(*[(0, 0.15, 20)] * 9)),
            ],
            [alert_test(at, A.ERROR_BUDGET_BURN_FAST) for at in ("25m", "45m", "65m", "125m")]
            + [alert_test("125m", A.ERROR_BUDGET_BURN_SLOW)],
        ),
        # 4. A new replica (never scraped before) joins at 30m with old totals (5% errors over
        # its life): its first samples are no new events, so no burn.
        _group(
            [
                up,
                series(COUNT, ok, "0+300x180"),
                series(m.UP, {**app, "instance": "app-2:8000"}, "_x30 1x150"),
                series(COUNT, {**ok, "instance": "app-2:8000"}, "_x30 95000+300x150"),
                series(COUNT, {**bad, "instance": "app-2:8000"}, "_x30 5000x150"),
            ],
            [alert_test(at, A.ERROR_BUDGET_BURN_FAST) for at in ("32m", "36m", "60m")],
        ),
        # ... but a 5xx it answers after its first scrape (at 33m, 3 minutes in) is a new event.
        _group(
            [
                up,
                series(m.UP, {**app, "instance": "app-2:8000"}, "_x30 1x150"),
                series(COUNT, {**ok, "instance": "app-2:8000"}, "_x30 95000+300x150"),
                series(COUNT, {**bad, "instance": "app-2:8000"}, "_x33 1x147"),
            ],
            [_near("34m", f"{errs} * 300", route, 1), _near("40m", errs, route, 0)],
        ),
        # 5. Prometheus itself was down for 30 minutes, while the app answered 900 requests with
        # 5xx: after the gap those counters are not "new" series (no scrape before them).
        _group(
            [
                series(m.UP, app, "1x30 _x29 1x60"),
                series(COUNT, ok, "0+300x30 _x29 18000+300x60"),
                series(COUNT, bad, "_x60 900x60"),
            ],
            [alert_test(at, A.ERROR_BUDGET_BURN_FAST) for at in ("62m", "66m", "90m")],
        ),
    ]


def _replicas(svc: str) -> list[Case]:
    targets = [{"service": svc, "job": "app", "instance": f"app-{i}:8000"} for i in (1, 2, 3)]
    worker = {"service": svc, "job": "worker", "instance": "worker-1:8000"}
    # 6. Three replicas; app-2 dies at 10m and comes back at 40m; later all three die.
    values = ["1x100 0x20", "1x9 0x30 1x60 0x20", "1x100 0x20"]
    return [
        _group(
            [
                *(series(m.UP, t, v) for t, v in zip(targets, values, strict=True)),
                series(m.UP, worker, "1x120"),
            ],
            [
                alert_test("13m", A.INSTANCE_DOWN),
                _firing("20m", A.INSTANCE_DOWN, S.WARNING),
                alert_test("20m", A.SERVICE_DOWN),
                alert_test("50m", A.INSTANCE_DOWN),
                # All down: ServiceDown pages, InstanceDown (one of several) stays quiet.
                _firing("110m", A.SERVICE_DOWN, S.CRITICAL),
                alert_test("110m", A.INSTANCE_DOWN),
            ],
        )
    ]


def _jobs(svc: str) -> list[Case]:
    w = {"service": svc, "job": "worker", "instance": "worker-1:8000"}
    finished = jobs.RUNS_FINISHED.exposition_name
    failures = jobs.FAILURES.exposition_name
    rp = {**w, "job_type": "resume_parsing"}
    hourly = " ".join(f"{h}x59" for h in range(4))  # one more run each hour
    # 7. An hourly job succeeds each hour; one run at 2h fails (a failure type seen for the
    # first time): JobFailed warns at once and clears; no ratio alert, no page.
    return [
        _group(
            [
                series(m.UP, w, "1x240"),
                series(finished, {**rp, "job_status": "succeeded"}, hourly),
                series(finished, {**rp, "job_status": "failed"}, "_x120 1x119"),
                series(
                    failures,
                    {**rp, "error_class": "data", "exception_type": "KeyError"},
                    "_x120 1x119",
                ),
                series(jobs.LAST_SUCCESS.name, rp, " ".join(f"{h * 3600}x59" for h in range(4))),
                *(
                    series(jobs.LAST_SUCCESS.name, {**w, "job_type": t}, "0+60x240")
                    for t in ("matching", "digest")
                ),
            ],
            [
                _firing("122m", A.JOB_FAILED, S.WARNING),
                alert_test("135m", A.JOB_FAILED),
                alert_test("140m", A.JOB_FAILURE_RATIO_HIGH),
                alert_test("140m", A.JOB_NOT_SUCCEEDED),
                expr_test("140m", 'ALERTS{severity="critical", alertname=~"Job.*"}'),
            ],
        )
    ]


def _restarts(svc: str) -> list[Case]:
    """8. JobNotSucceeded on time although the worker restarted (5-minute steps)."""
    w = {"service": svc, "job": "worker", "instance": "worker-1:8000"}
    last = jobs.LAST_SUCCESS.name
    busy = series(last, {**w, "job_type": "resume_parsing"}, "0+300x320")
    # Last successes at 0; the worker restarts at 3h (matching) / 12h (digest), and the new
    # process's runs fail: it has no last-success series, only its in-progress gauge.
    return [
        _group(
            [
                busy,
                series(last, {**w, "job_type": "matching"}, "0x35 stale"),
                series(jobs.RUNS_IN_PROGRESS.name, {**w, "job_type": "matching"}, "0x35 _ 1x300"),
                series(last, {**w, "job_type": "digest"}, "0x143 stale"),
                series(jobs.RUNS_IN_PROGRESS.name, {**w, "job_type": "digest"}, "0x143 _ 1x200"),
            ],
            [
                alert_test("5h55m", A.JOB_NOT_SUCCEEDED),
                _firing("6h10m", A.JOB_NOT_SUCCEEDED, S.WARNING),
                _firing("24h10m", A.JOB_NOT_SUCCEEDED, S.WARNING, count=2),
            ],
            interval="5m",
        )
    ]


def _budget(svc: str) -> list[Case]:
    """9. The first 5xx after a deploy moves the error budget (hourly roll-ups)."""
    app = {"service": svc, "job": "app", "instance": "app-1:8000"}
    req = {**app, "http_request_method": "GET", "http_route": "/a"}
    slo = {"service": svc, "slo": AVAIL}
    budget = f'{r.SLO_ERROR_BUDGET_REMAINING}{{slo="{AVAIL}"}}'
    return [
        _group(
            [
                series(m.UP, app, "1x60"),
                series(COUNT, {**req, "http_response_status_code": "200"}, "0+100x60"),
                series(COUNT, {**req, "http_response_status_code": "500"}, "_x26 1x33"),
            ],
            # Hourly events 1200, 1200, 1201 (the 5xx), 1200; bad events 1 (in the 3h roll-up).
            [_near("4h", budget, slo, 1 - (1 / 4801) / 0.001)],
            interval="5m",
        )
    ]


def scenario_files(knobs: Knobs) -> dict[str, dict[str, Any]]:
    """Scenario test files (under ``tests/``) for the tests' knobs."""
    svc = knobs.services[0]
    alerting = ("recording.rules.yml", "slo.rules.yml", "alerts.rules.yml")
    rollups = ("rollup-1h.rules.yml", "slo-budget.rules.yml")
    return {
        "scenarios.test.yml": {
            **rules_under_test(knobs, *alerting),
            "evaluation_interval": "1m",
            "tests": [*_http(svc), *_replicas(svc), *_jobs(svc)],
        },
        "scenarios-long.test.yml": {
            **rules_under_test(knobs, *alerting),
            "evaluation_interval": "5m",
            "tests": _restarts(svc),
        },
        "scenarios-budget.test.yml": {
            **rules_under_test(knobs, *rollups),
            "evaluation_interval": "1h",
            "tests": _budget(svc),
        },
    }
