"""promtool unit tests of the HTTP alerts (``alerts.test.yml``, ``alerts-long.test.yml``)."""

from __future__ import annotations

from typing import Any

from prometheus.alerting import Dashboard as D
from prometheus.catalog import Alert as A
from prometheus.catalog import Severity as S
from prometheus.knobs import Knobs
from prometheus.testdata import Expect, alert_group, alert_test, bucket_series, series
from signalpost.semconv import errors, http

__all__ = ["error_spike_week_tests", "http_tests"]


def _error_spike(e: Expect, svc: str, job: str, source: str) -> dict[str, Any]:
    """ErrorSpike of ``source`` errors at 0.5/s, from the ``job`` targets of ``svc``."""
    return e.alert(
        A.ERROR_SPIKE,
        S.WARNING,
        {"service": svc, "job": job, "error_source": source},
        summary=f"{svc}: {source} errors spike",
        description=(
            f"{source} errors at 500m/s over 10m, more than 3x the rate at the same time last "
            "week."
        ),
        dashboard=D.ERRORS,
    )


def http_tests(k: Knobs, e: Expect) -> list[dict[str, Any]]:
    """HighLatency and ErrorSpike within the hour (1-minute interval)."""
    svc = k.services[0]
    base = {"service": svc, "job": "app", "instance": "app:8000", "http_request_method": "GET"}
    ok = {**base, "http_response_status_code": "200"}

    slow = e.alert(
        A.HIGH_LATENCY,
        S.WARNING,
        {"service": svc, "http_route": "/slow"},
        summary=f"{svc}: /slow is slow",
        description="The 99th percentile latency of /slow is 2.485s, above 1s.",
        dashboard=D.SERVICE,
        dashboard_vars=("http_route",),
    )

    spike = _error_spike(e, svc, "app", "http")
    err = {
        "service": svc,
        "job": "app",
        "instance": "app:8000",
        "error_source": "http",
        "error_class": "system",
        "exception_type": "ValueError",
    }
    name = errors.ERRORS.exposition_name
    return [
        alert_group(
            [
                # Fast, and slow but rare (0.05 requests/s, under min_request_rate).
                *bucket_series(http.REQUEST_DURATION, {**ok, "http_route": "/fast"}, 60, 0.05, 40),
                *bucket_series(http.REQUEST_DURATION, {**ok, "http_route": "/rare"}, 3, 1.0, 40),
                # Few errors and nothing last week: under min_rate.
                series(name, err, "0+1x30"),
            ],
            [alert_test("35m", A.HIGH_LATENCY), alert_test("25m", A.ERROR_SPIKE)],
        ),
        alert_group(
            [
                *bucket_series(http.REQUEST_DURATION, {**ok, "http_route": "/slow"}, 60, 1.0, 40),
                # No errors last week at all: the comparison still works (0, not absent).
                series(name, err, "0+30x30"),
            ],
            [
                alert_test("5m", A.HIGH_LATENCY),
                alert_test("12m", A.HIGH_LATENCY, slow),
                # A cause: it never turns critical, however long it lasts.
                alert_test("38m", A.HIGH_LATENCY, slow),
                alert_test("8m", A.ERROR_SPIKE),
                alert_test("15m", A.ERROR_SPIKE, spike),
            ],
        ),
    ]


def error_spike_week_tests(k: Knobs, e: Expect) -> list[dict[str, Any]]:
    """ErrorSpike against last week's data: its own file, rules evaluated hourly."""
    svc = k.services[0]
    err = {
        "service": svc,
        "job": "worker",
        "instance": "worker:8000",
        "error_source": "job",
        "error_class": "transient",
        "exception_type": "TimeoutError",
    }
    name = errors.ERRORS.exposition_name
    week = 2016  # 5-minute steps in a week
    spike = _error_spike(e, svc, "worker", "job")
    return [
        # As many errors as last week (0.5/s): no spike.
        alert_group(
            [series(name, err, f"0+150x{week + 30}")],
            [alert_test(f"{week * 5 + 120}m", A.ERROR_SPIKE)],
            interval="5m",
        ),
        # 0.1/s last week, 0.5/s from 1w+2h on (at 1w the week-old window is still empty: the
        # condition holds for one evaluation, then the comparison takes over).
        alert_group(
            [series(name, err, f"0+30x{week + 24} {30 * (week + 24) + 150}+150x30")],
            [
                alert_test(f"{week * 5 + 180}m", A.ERROR_SPIKE),
                alert_test(f"{week * 5 + 240}m", A.ERROR_SPIKE, spike),
            ],
            interval="5m",
        ),
    ]
