"""promtool ``promql_expr_test`` cases for every recording rule.

Three files: the 5-minute rules at a 1-minute interval, the SLO rules at 5 minutes (long
windows), and the hourly and daily roll-ups plus the error budget at 1 hour (promtool ignores
a group's own interval, so roll-ups get a file of their own).
"""

from __future__ import annotations

from typing import Any

from prometheus import recording as r
from prometheus.knobs import Knobs
from prometheus.testdata import bucket_series, expr_test, labels_text, rules_under_test, series
from signalpost.instrumentation.semconv import db, health, http, jobs

__all__ = ["record_files"]

Sample = tuple[str, float]


def _inputs(svc: str, per_step: float) -> list[dict[str, str]]:
    """Raw series growing by ``per_step`` x (the rates below) each step.

    Per step: route /a 54 OK + 6 server errors, route /b 60 OK, every request between 0.075
    and 0.1 s; matching 6 started, 3 succeeded + 3 failed (each between 5 and 10 s), 120 items;
    digest 6 failed; 60 SELECTs between 0.01 and 0.05 s. Health: app healthy, worker degraded.
    """
    steps = 100
    app = {"service": svc, "job": "app", "instance": "app:8000", "http_request_method": "GET"}
    w = {"service": svc, "job": "worker", "instance": "worker:8000"}

    def code(route: str, status: str) -> dict[str, str]:
        return {**app, "http_route": route, "http_response_status_code": status}

    def hist(spec: Any, labels: dict[str, str], n: float, above: float) -> list[dict[str, str]]:
        return bucket_series(spec, labels, n * per_step, above, steps)

    def grow(metric: str, labels: dict[str, str], n: float) -> dict[str, str]:
        return series(metric, labels, f"0+{n * per_step:g}x{steps}")

    finished = jobs.RUNS_FINISHED.exposition_name
    out = [
        *hist(http.REQUEST_DURATION, code("/a", "200"), 54, 0.075),
        *hist(http.REQUEST_DURATION, code("/a", "500"), 6, 0.075),
        *hist(http.REQUEST_DURATION, code("/b", "200"), 60, 0.075),
        grow(jobs.RUNS_STARTED.exposition_name, {**w, "job_type": "matching"}, 6),
        grow(finished, {**w, "job_type": "matching", "job_status": "succeeded"}, 3),
        grow(finished, {**w, "job_type": "matching", "job_status": "failed"}, 3),
        grow(finished, {**w, "job_type": "digest", "job_status": "failed"}, 6),
        *hist(jobs.RUN_DURATION, {**w, "job_type": "matching", "job_status": "succeeded"}, 3, 5),
        *hist(jobs.RUN_DURATION, {**w, "job_type": "matching", "job_status": "failed"}, 3, 5),
        grow(jobs.ITEMS_PROCESSED.exposition_name, {**w, "job_type": "matching"}, 120),
        *hist(
            db.OPERATION_DURATION,
            {**w, "db_system_name": "postgresql", "db_operation_name": "SELECT"},
            60,
            0.01,
        ),
    ]
    for instance, now in (({**app}, "healthy"), ({**w}, "degraded")):
        instance.pop("http_request_method", None)
        for st in ("healthy", "degraded", "unhealthy"):
            value = f"1x{steps}" if st == now else f"0x{steps}"
            out.append(series(health.HEALTH_STATUS.name, {**instance, "health_status": st}, value))
            check = {"health_check_name": "postgres", "health_check_kind": "critical"}
            out.append(
                series(health.CHECK_STATUS.name, {**instance, **check, "health_status": st}, value)
            )
    return out


def _expected(svc: str, window: str, per_second: float) -> list[dict[str, Any]]:
    """Expected values of every 5-minute rule (per_second = 1/60) or roll-up (counts)."""

    def name(base: str) -> str:
        return base if window == "5m" else r.rollup(base, window)

    def lab(base: str, **labels: str) -> str:
        return labels_text(name(base), {"service": svc, **labels})

    def quantiles(base: str, low: float, high: float, **labels: str) -> list[Sample]:
        return [
            (lab(base, **labels, quantile=f"{q:g}"), low + (high - low) * q) for q in r.QUANTILES
        ]

    at = "100m" if window == "5m" else ("1d" if window == "1d" else "5h")
    f = per_second
    checks: list[tuple[str, list[Sample]]] = [
        (
            name(r.HTTP_REQUESTS),
            [(lab(r.HTTP_REQUESTS, http_route=rt), 60 * f) for rt in "/a /b".split()],
        ),
        (
            name(r.HTTP_ERRORS),
            [
                (lab(r.HTTP_ERRORS, http_route="/a"), 6 * f),
                (lab(r.HTTP_ERRORS, http_route="/b"), 0),
            ],
        ),
        (
            name(r.HTTP_ERROR_RATIO),
            [
                (lab(r.HTTP_ERROR_RATIO, http_route="/a"), 0.1),
                (lab(r.HTTP_ERROR_RATIO, http_route="/b"), 0),
            ],
        ),
        (
            f'{name(r.HTTP_BUCKETS)}{{http_route="/a", le=~"0.075|0.1"}}',
            [
                (lab(r.HTTP_BUCKETS, http_route="/a", le="0.075"), 0),
                (lab(r.HTTP_BUCKETS, http_route="/a", le="0.1"), 60 * f),
            ],
        ),
        (
            f'{name(r.HTTP_LATENCY)}{{http_route="/a"}}',
            quantiles(r.HTTP_LATENCY, 0.075, 0.1, http_route="/a"),
        ),
        (name(r.JOB_STARTED), [(lab(r.JOB_STARTED, job_type="matching"), 6 * f)]),
        (
            f'{name(r.JOB_FINISHED)}{{job_type="matching"}}',
            [
                (lab(r.JOB_FINISHED, job_type="matching", job_status=s), 3 * f)
                for s in ("failed", "succeeded")
            ],
        ),
        (
            name(r.JOB_SUCCESS_RATIO),
            [
                (lab(r.JOB_SUCCESS_RATIO, job_type="digest"), 0),
                (lab(r.JOB_SUCCESS_RATIO, job_type="matching"), 0.5),
            ],
        ),
        (
            f'{name(r.JOB_DURATION_BUCKETS)}{{le="10.0"}}',
            [(lab(r.JOB_DURATION_BUCKETS, job_type="matching", le="10.0"), 6 * f)],
        ),
        (name(r.JOB_DURATION), quantiles(r.JOB_DURATION, 5, 10, job_type="matching")),
        (name(r.JOB_ITEMS), [(lab(r.JOB_ITEMS, job_type="matching"), 120 * f)]),
        (name(r.DB_OPERATIONS), [(lab(r.DB_OPERATIONS, db_operation_name="SELECT"), 60 * f)]),
        (
            f'{name(r.DB_BUCKETS)}{{le="0.05"}}',
            [(lab(r.DB_BUCKETS, db_operation_name="SELECT", le="0.05"), 60 * f)],
        ),
        (name(r.DB_LATENCY), quantiles(r.DB_LATENCY, 0.01, 0.05, db_operation_name="SELECT")),
        (
            name(r.HEALTH_STATUS),
            [
                (lab(r.HEALTH_STATUS, health_status="degraded"), 1),
                (lab(r.HEALTH_STATUS, health_status="healthy"), 1),
                (lab(r.HEALTH_STATUS, health_status="unhealthy"), 0),
            ],
        ),
        (
            name(r.HEALTH_CHECK_STATUS),
            [
                (
                    lab(
                        r.HEALTH_CHECK_STATUS,
                        health_check_kind="critical",
                        health_check_name="postgres",
                        health_status=s,
                    ),
                    v,
                )
                for s, v in (("degraded", 1), ("healthy", 1), ("unhealthy", 0))
            ],
        ),
    ]
    return [expr_test(at, expr, *samples) for expr, samples in checks]


def _slo_inputs(svc: str, steps: int, per_step: float) -> list[dict[str, str]]:
    """Uniform traffic: 300 requests a step, 3 of them 5xx, 60 slower than 0.5 s; 10 matching
    runs, 1 failed, 5 cancelled (not counted)."""
    app = {"service": svc, "job": "app", "instance": "app:8000", "http_request_method": "GET"}
    w = {"service": svc, "job": "worker", "instance": "worker:8000", "job_type": "matching"}
    ok = {**app, "http_route": "/a", "http_response_status_code": "200"}
    bad = {**app, "http_route": "/a", "http_response_status_code": "500"}
    finished = jobs.RUNS_FINISHED.exposition_name

    def grow(metric: str, labels: dict[str, str], n: float) -> dict[str, str]:
        return series(metric, labels, f"0+{n * per_step:g}x{steps}")

    return [
        *bucket_series(http.REQUEST_DURATION, ok, 237 * per_step, 0.1, steps),
        *bucket_series(
            http.REQUEST_DURATION, {**ok, "http_route": "/b"}, 60 * per_step, 0.5, steps
        ),
        *bucket_series(http.REQUEST_DURATION, bad, 3 * per_step, 0.1, steps),
        grow(finished, {**w, "job_status": "succeeded"}, 9),
        grow(finished, {**w, "job_status": "failed"}, 1),
        grow(finished, {**w, "job_status": "cancelled"}, 5),
    ]


def _near(
    at: str, name: str, svc: str, expected: list[tuple[str, dict[str, str], float]]
) -> list[dict[str, Any]]:
    """Tests that each SLO's series of ``name`` is within 1e-9 of its value.

    promtool compares floats exactly, and sums over long windows round differently from the
    arithmetic written here; ``abs(x - v) < bool 1e-9`` is 1 for a match and absent (a failure)
    when the series is missing.
    """
    tests = []
    for slo, extra, value in expected:
        labels = {"service": svc, "slo": slo, **extra}
        sel = labels_text(name, labels)
        tests.append(
            expr_test(at, f"abs({sel} - {value!r}) < bool 1e-9", (labels_text("", labels), 1))
        )
    return tests


def _slo_tests(svc: str) -> list[dict[str, Any]]:
    def lab(name: str, slo: str, **extra: str) -> str:
        return labels_text(name, {"service": svc, "slo": slo, **extra})

    matching = {"job_type": "matching"}
    job = ("matching-runs", matching)
    uniform = [
        *_near("3d", r.SLO_EVENTS, svc, [("http-availability", {}, 1), ("http-latency", {}, 1)]),
        *_near("3d", r.SLO_EVENTS, svc, [(*job, 10 / 300)]),
        *_near(
            "3d",
            r.SLO_BAD,
            svc,
            [("http-availability", {}, 0.01), ("http-latency", {}, 0.2), (*job, 1 / 300)],
        ),
        *(
            test
            for window in r.SLO_BURN_WINDOWS
            for test in _near(
                "3d",
                r.slo_error_ratio(window),
                svc,
                [("http-availability", {}, 0.01), ("http-latency", {}, 0.2), (*job, 0.1)],
            )
        ),
    ]
    # One hour at 1 request/s with half failing, then one at 100/s without errors, and no
    # failed job runs at all: long windows weigh by traffic (an average of the 5-minute
    # ratios would say 50% x 12/24 = 25% over 2h); the job SLO's bad events are 0, not absent.
    app = {"service": svc, "job": "app", "instance": "app:8000", "http_request_method": "GET"}
    count = f"{http.REQUEST_DURATION.name}_count"
    w = {"service": svc, "job": "worker", "instance": "worker:8000", "job_type": "matching"}
    weighted_inputs = [
        series(
            count,
            {**app, "http_route": "/a", "http_response_status_code": "200"},
            "0+150x12 1800+30000x12",
        ),
        series(
            count,
            {**app, "http_route": "/a", "http_response_status_code": "500"},
            "0+150x12 1800x12",
        ),
        series(jobs.RUNS_FINISHED.exposition_name, {**w, "job_status": "succeeded"}, "0+10x24"),
    ]
    avail = "http-availability"
    # promtool evaluates the expression before the rules of the same instant: at 120m the
    # windows hold the recorded samples up to 115m (1h: one slow-traffic slice, 11 busy ones).
    weighted = [
        expr_test(
            "120m",
            f'{r.slo_error_ratio(w)}{{slo="{avail}"}}',
            (lab(r.slo_error_ratio(w), avail), value),
        )
        for w, value in (("5m", 0), ("30m", 0), ("1h", 0.5 / 1101), ("2h", 6 / 1112))
    ]
    weighted += [
        expr_test(
            "120m",
            f'{r.SLO_BAD}{{slo="matching-runs"}}',
            (lab(r.SLO_BAD, "matching-runs", **matching), 0),
        ),
        expr_test(
            "120m",
            f'{r.slo_error_ratio("6h")}{{slo="matching-runs"}}',
            (lab(r.slo_error_ratio("6h"), "matching-runs", **matching), 0),
        ),
    ]
    return [
        {"interval": "5m", "input_series": _slo_inputs(svc, 900, 1), "promql_expr_test": uniform},
        {"interval": "5m", "input_series": weighted_inputs, "promql_expr_test": weighted},
    ]


def _rollup_slo_tests(svc: str) -> list[dict[str, Any]]:
    """SLO roll-ups and the error budget, at a 1-hour interval over two days."""

    def lab(name: str, slo: str, **extra: str) -> str:
        return labels_text(name, {"service": svc, "slo": slo, **extra})

    matching = {"job_type": "matching"}
    # Per hour: 4000 requests, 1 a 5xx, 40 slower than 0.5 s; 40 matching runs, 1 failed.
    app = {"service": svc, "job": "app", "instance": "app:8000", "http_request_method": "GET"}
    w = {"service": svc, "job": "worker", "instance": "worker:8000", "job_type": "matching"}
    ok = {**app, "http_route": "/a", "http_response_status_code": "200"}
    finished = jobs.RUNS_FINISHED.exposition_name
    inputs = [
        *bucket_series(http.REQUEST_DURATION, ok, 3959, 0.1, 50),
        *bucket_series(http.REQUEST_DURATION, {**ok, "http_route": "/b"}, 40, 0.5, 50),
        *bucket_series(
            http.REQUEST_DURATION, {**ok, "http_response_status_code": "500"}, 1, 0.1, 50
        ),
        series(finished, {**w, "job_status": "succeeded"}, "0+39x50"),
        series(finished, {**w, "job_status": "failed"}, "0+1x50"),
    ]
    tests = []
    for window, factor, at in (("1h", 1, "5h"), ("1d", 24, "1d")):
        events, bad = r.rollup(r.SLO_EVENTS, window), r.rollup(r.SLO_BAD, window)
        tests.append(
            expr_test(
                at,
                events,
                (lab(events, "http-availability"), 4000 * factor),
                (lab(events, "http-latency"), 4000 * factor),
                (lab(events, "matching-runs", **matching), 40 * factor),
            )
        )
        tests.append(
            expr_test(
                at,
                bad,
                (lab(bad, "http-availability"), 1 * factor),
                (lab(bad, "http-latency"), 40 * factor),
                (lab(bad, "matching-runs", **matching), 1 * factor),
            )
        )
    # Budgets: 0.025% of 0.1%, 1% of 1%, 2.5% of 5% spent.
    budget = r.SLO_ERROR_BUDGET_REMAINING
    tests.append(
        expr_test(
            "2d",
            budget,
            (lab(budget, "http-availability"), 1 - (1 / 4000) / 0.001),
            (lab(budget, "http-latency"), 1 - (40 / 4000) / 0.01),
            (lab(budget, "matching-runs", **matching), 1 - (1 / 40) / 0.05),
        )
    )
    return [{"interval": "1h", "input_series": inputs, "promql_expr_test": tests}]


def record_files(knobs: Knobs) -> dict[str, dict[str, Any]]:
    """The three record test files."""
    svc = knobs.services[0]
    return {
        "recording.test.yml": {
            **rules_under_test(knobs, "recording.rules.yml"),
            "evaluation_interval": "1m",
            "tests": [
                {
                    "interval": "1m",
                    "input_series": _inputs(svc, 1),
                    "promql_expr_test": _expected(svc, "5m", 1 / 60),
                }
            ],
        },
        "slo-records.test.yml": {
            **rules_under_test(knobs, "slo.rules.yml"),
            "evaluation_interval": "5m",
            "tests": _slo_tests(svc),
        },
        "rollup.test.yml": {
            **rules_under_test(
                knobs, "rollup-1h.rules.yml", "rollup-1d.rules.yml", "slo-budget.rules.yml"
            ),
            "evaluation_interval": "1h",
            "tests": [
                {
                    "interval": "1h",
                    "input_series": _inputs(svc, 60),
                    "promql_expr_test": [
                        *_expected(svc, "1h", 60),
                        *_expected(svc, "1d", 24 * 60),
                    ],
                },
                *_rollup_slo_tests(svc),
            ],
        },
    }
