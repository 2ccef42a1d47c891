"""promtool ``promql_expr_test`` cases for every recording rule.

Three files: the 5-minute rules at a 1-minute interval, the SLO rules at 5 minutes (long
windows), and the hourly and daily roll-ups plus the error budget at 1 hour (promtool ignores
a group's own interval, so roll-ups get a file of their own).
"""

from __future__ import annotations

from typing import Any

from prometheus import recording as r
from prometheus.knobs import Knobs
from prometheus.testdata import (
    bucket_series,
    expr_group,
    expr_test,
    labels_text,
    rules_under_test,
    series,
)
from prometheus.unittests_slo_records import rollup_slo_tests, slo_record_tests
from signalpost.semconv import db, health, http, jobs

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


def record_files(knobs: Knobs) -> dict[str, dict[str, Any]]:
    """The three record test files."""
    svc = knobs.services[0]
    return {
        "recording.test.yml": {
            **rules_under_test(knobs, "recording.rules.yml"),
            "evaluation_interval": "1m",
            "tests": [
                expr_group(_inputs(svc, 1), _expected(svc, "5m", 1 / 60)),
            ],
        },
        "slo-records.test.yml": {
            **rules_under_test(knobs, "slo.rules.yml"),
            "evaluation_interval": "5m",
            "tests": slo_record_tests(svc),
        },
        "rollup.test.yml": {
            **rules_under_test(
                knobs, "rollup-1h.rules.yml", "rollup-1d.rules.yml", "slo-budget.rules.yml"
            ),
            "evaluation_interval": "1h",
            "tests": [
                expr_group(
                    _inputs(svc, 60),
                    [*_expected(svc, "1h", 60), *_expected(svc, "1d", 24 * 60)],
                    "1h",
                ),
                *rollup_slo_tests(svc),
            ],
        },
    }
