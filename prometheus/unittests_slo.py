"""promtool unit tests of the SLO burn-rate alerts (``slo-alerts.test.yml``)."""

from __future__ import annotations

from typing import Any

from prometheus.alerting import Dashboard as D
from prometheus.catalog import Alert as A
from prometheus.catalog import Severity as S
from prometheus.knobs import Knobs
from prometheus.testdata import Expect, alert_group, alert_test, bucket_series, series
from signalpost.semconv import http, jobs

__all__ = ["slo_alert_tests"]


def slo_alert_tests(k: Knobs, e: Expect) -> list[dict[str, Any]]:
    """Burn-rate alerts at a 5-minute interval."""
    svc = k.services[0]
    app = {"service": svc, "job": "app", "instance": "app:8000", "http_request_method": "GET"}
    w = {"service": svc, "job": "worker", "instance": "worker:8000", "job_type": "matching"}
    finished = jobs.RUNS_FINISHED.exposition_name
    count = f"{http.REQUEST_DURATION.name}_count"

    def burn(
        name: A, sev: S, slo: str, value: str, objective: str, budget: str, **extra: str
    ) -> dict[str, Any]:
        fast = sev is S.CRITICAL
        pace = "14.4x over 1h or 6x over 6h" if fast else "3x over 1d or 1x over 3d"
        job = "job_type" in extra
        return e.alert(
            name,
            sev,
            {"service": svc, "slo": slo, **extra},
            summary=f"{svc}: SLO {slo} is burning its error budget "
            + ("fast" if fast else "steadily"),
            description=(
                f"{value} of {slo} events were bad over the long window (objective {objective}% "
                f"over 30d, error budget {budget}%): spending the budget at {pace} its "
                "sustainable rate."
            ),
            dashboard=D.JOBS if job else D.SERVICE,
            dashboard_vars=("job_type",) if job else (),
        )

    def requests(code: str, per_step: int, steps: int) -> dict[str, str]:
        labels = {**app, "http_route": "/candidates/{id}", "http_response_status_code": code}
        return series(count, labels, f"0+{per_step}x{steps}")

    def fast_latency(per_step: int, steps: int) -> list[dict[str, str]]:
        # Every request answered under the latency objective's threshold.
        labels = {**app, "http_route": "/candidates/{id}", "http_response_status_code": "200"}
        return bucket_series(http.REQUEST_DURATION, labels, per_step, 0.01, steps, count=False)

    avail = "http-availability"
    return [
        # 0.05% errors: under every tier; failed jobs absent entirely.
        alert_group(
            [
                requests("200", 2999, 900),
                requests("500", 1, 900),
                *fast_latency(3000, 900),
                series(finished, {**w, "job_status": "succeeded"}, "0+10x900"),
            ],
            [
                alert_test("3d", A.ERROR_BUDGET_BURN_FAST),
                alert_test("3d", A.ERROR_BUDGET_BURN_SLOW),
            ],
            interval="5m",
        ),
        # 10% errors from the start: burning from 5m on (pending), firing once `for` passed.
        alert_group(
            [requests("200", 270, 20), requests("500", 30, 20), *fast_latency(300, 20)],
            [
                alert_test("5m", A.ERROR_BUDGET_BURN_FAST),
                alert_test(
                    "10m",
                    A.ERROR_BUDGET_BURN_FAST,
                    burn(A.ERROR_BUDGET_BURN_FAST, S.CRITICAL, avail, "10%", "99.9", "0.1"),
                ),
                alert_test("15m", A.ERROR_BUDGET_BURN_SLOW),
                alert_test(
                    "20m",
                    A.ERROR_BUDGET_BURN_SLOW,
                    burn(A.ERROR_BUDGET_BURN_SLOW, S.WARNING, avail, "10%", "99.9", "0.1"),
                ),
            ],
            interval="5m",
        ),
        # Errors stop at 20m: once both short windows are clean the fast burn clears, although
        # the 1h and 6h windows are still far over (at 50m the 30m window still holds the last
        # bad slice and the 6h/30m tier fires).
        alert_group(
            [
                requests("200", 270, 30),
                series(
                    count,
                    {**app, "http_route": "/candidates/{id}", "http_response_status_code": "500"},
                    "0+30x4 120x26",
                ),
                *fast_latency(300, 30),
            ],
            [
                alert_test(
                    "15m",
                    A.ERROR_BUDGET_BURN_FAST,
                    burn(A.ERROR_BUDGET_BURN_FAST, S.CRITICAL, avail, "10%", "99.9", "0.1"),
                ),
                alert_test("60m", A.ERROR_BUDGET_BURN_FAST),
            ],
            interval="5m",
        ),
        # Half of the matching runs fail: over 6x (30%) but under 14.4x (72%) of a 5% budget.
        alert_group(
            [
                series(finished, {**w, "job_status": "succeeded"}, "0+10x20"),
                series(finished, {**w, "job_status": "failed"}, "0+10x20"),
                series(finished, {**w, "job_status": "cancelled"}, "0+50x20"),
            ],
            [
                alert_test("5m", A.ERROR_BUDGET_BURN_FAST),
                alert_test(
                    "15m",
                    A.ERROR_BUDGET_BURN_FAST,
                    burn(
                        A.ERROR_BUDGET_BURN_FAST,
                        S.CRITICAL,
                        "matching-runs",
                        "50%",
                        "95",
                        "5",
                        job_type="matching",
                    ),
                ),
            ],
            interval="5m",
        ),
        # 20% of requests slower than 0.5s against a 1% budget.
        alert_group(
            [
                requests("200", 300, 20),
                *bucket_series(
                    http.REQUEST_DURATION,
                    {**app, "http_route": "/candidates/{id}", "http_response_status_code": "200"},
                    240,
                    0.01,
                    20,
                    count=False,
                )[:-1],
                series(
                    f"{http.REQUEST_DURATION.name}_bucket",
                    {
                        **app,
                        "http_route": "/candidates/{id}",
                        "http_response_status_code": "200",
                        "le": "+Inf",
                    },
                    "0+300x20",
                ),
            ],
            [
                alert_test(
                    "15m",
                    A.ERROR_BUDGET_BURN_FAST,
                    burn(A.ERROR_BUDGET_BURN_FAST, S.CRITICAL, "http-latency", "20%", "99", "1"),
                ),
            ],
            interval="5m",
        ),
    ]
