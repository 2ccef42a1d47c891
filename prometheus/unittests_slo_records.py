"""promtool ``promql_expr_test`` cases of the SLO recording rules and their roll-ups.

The 5-minute SLO rules are tested at a 5-minute interval (``slo-records.test.yml``); the hourly
and daily SLO roll-ups and the error budget at 1 hour, in ``rollup.test.yml``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prometheus import recording as r
from prometheus.testdata import bucket_series, expr_group, expr_test, labels_text, series
from signalpost.semconv import http, jobs

__all__ = ["rollup_slo_tests", "slo_record_tests"]

Case = dict[str, Any]


def _slo_labels(svc: str) -> Callable[..., str]:
    """``lab(name, slo, **extra)``: the series ``name`` of one SLO of ``svc``, as promtool
    prints it."""

    def lab(name: str, slo: str, **extra: str) -> str:
        return labels_text(name, {"service": svc, "slo": slo, **extra})

    return lab


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


def slo_record_tests(svc: str) -> list[dict[str, Any]]:
    """The SLO rules at a 5-minute interval: uniform traffic, then traffic-weighted windows."""
    lab = _slo_labels(svc)

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
        expr_group(_slo_inputs(svc, 900, 1), uniform, "5m"),
        expr_group(weighted_inputs, weighted, "5m"),
    ]


def rollup_slo_tests(svc: str) -> list[dict[str, Any]]:
    """SLO roll-ups and the error budget, at a 1-hour interval over two days."""

    lab = _slo_labels(svc)

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

    def per_slo(at: str, name: str, availability: float, latency: float, runs: float) -> Case:
        return expr_test(
            at,
            name,
            (lab(name, "http-availability"), availability),
            (lab(name, "http-latency"), latency),
            (lab(name, "matching-runs", **matching), runs),
        )

    tests = []
    for window, factor, at in (("1h", 1, "5h"), ("1d", 24, "1d")):
        events, bad = r.rollup(r.SLO_EVENTS, window), r.rollup(r.SLO_BAD, window)
        tests.append(per_slo(at, events, 4000 * factor, 4000 * factor, 40 * factor))
        tests.append(per_slo(at, bad, 1 * factor, 40 * factor, 1 * factor))
    # Budgets: 0.025% of 0.1%, 1% of 1%, 2.5% of 5% spent.
    budget = r.SLO_ERROR_BUDGET_REMAINING
    tests.append(
        per_slo("2d", budget, 1 - (1 / 4000) / 0.001, 1 - (40 / 4000) / 0.01, 1 - (1 / 40) / 0.05)
    )
    return [expr_group(inputs, tests, "1h")]
