"""promtool unit tests of the generated rules, with the tests' own knobs (``tests/knobs.yaml``).

The rules under test are generated from those knobs into ``tests/rules/``: the tests pin the
generator's PromQL with known data whatever the repository's knobs select.

Each alert has a group with healthy data (quiet) and a group with the failure, evaluated before
its ``for`` has run out (quiet), once firing (exact labels and annotations) and, for escalating
alerts, once escalated. Values in the annotations are what Prometheus's humanising functions
print for the chosen data; they are written out, not computed.
"""

from __future__ import annotations

from typing import Any

from prometheus import selfmetrics as m
from prometheus.alerting import Dashboard as D
from prometheus.catalog import Alert as A
from prometheus.catalog import Severity as S
from prometheus.exporter_unittests import exporter_test_file
from prometheus.knobs import Knobs, load_knobs
from prometheus.rulefiles import rule_files
from prometheus.scenarios import scenario_files
from prometheus.testdata import (
    TEST_KNOBS,
    Expect,
    alert_test,
    bucket_series,
    rules_under_test,
    series,
)
from prometheus.unittests_backlog import backlog_tests
from prometheus.unittests_breaker import breaker_test_files
from prometheus.unittests_causes import cause_test_files
from prometheus.unittests_meta import meta_test_files
from prometheus.unittests_records import record_files
from signalpost.instrumentation.semconv import db, errors, health, http, jobs

__all__ = ["test_files"]

ALERT_RULES = ("recording.rules.yml", "alerts.rules.yml")


def _group(
    inputs: list[dict[str, str]], alerts: list[dict[str, Any]], interval: str = "1m"
) -> dict[str, Any]:
    return {"interval": interval, "input_series": inputs, "alert_rule_test": alerts}


def _availability(k: Knobs, e: Expect) -> list[dict[str, Any]]:
    svc = k.services[0]
    app = {"service": svc, "job": "app", "instance": "app:8000"}
    worker = {"service": svc, "job": "worker", "instance": "worker:8000"}
    down = e.alert(
        A.SERVICE_DOWN,
        S.CRITICAL,
        {"service": svc, "job": "app"},
        summary=f"{svc} is down: no app target answers",
        description=(
            f"Every app target of {svc} has failed its scrapes, or none is left to scrape, for 1m."
        ),
        dashboard=D.HEALTH,
    )
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
        _group(
            [series(m.UP, app, "1x10"), series(m.UP, worker, "1x10")],
            [
                alert_test("5m", A.SERVICE_DOWN),
                alert_test("8m", A.TARGET_MISSING),
                alert_test("8m", A.INSTANCE_DOWN),
            ],
        ),
        # One of two app replicas down: InstanceDown, not ServiceDown.
        _group(
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
        _group(
            [series(m.UP, app, "0x10"), series(m.UP, worker, "1x10")],
            [
                alert_test("0m", A.SERVICE_DOWN),
                alert_test("3m", A.SERVICE_DOWN, down),
                alert_test("8m", A.INSTANCE_DOWN),
            ],
        ),
        _group(
            [series(m.UP, worker, "1x10")],
            [alert_test("4m", A.TARGET_MISSING), alert_test("6m", A.TARGET_MISSING, missing)],
        ),
    ]


def _http(k: Knobs, e: Expect) -> list[dict[str, Any]]:
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

    spike = e.alert(
        A.ERROR_SPIKE,
        S.WARNING,
        {"service": svc, "job": "app", "error_source": "http"},
        summary=f"{svc}: http errors spike",
        description=(
            "http errors at 500m/s over 10m, more than 3x the rate at the same time last week."
        ),
        dashboard=D.ERRORS,
    )
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
        _group(
            [
                # Fast, and slow but rare (0.05 requests/s, under min_request_rate).
                *bucket_series(http.REQUEST_DURATION, {**ok, "http_route": "/fast"}, 60, 0.05, 40),
                *bucket_series(http.REQUEST_DURATION, {**ok, "http_route": "/rare"}, 3, 1.0, 40),
                # Few errors and nothing last week: under min_rate.
                series(name, err, "0+1x30"),
            ],
            [alert_test("35m", A.HIGH_LATENCY), alert_test("25m", A.ERROR_SPIKE)],
        ),
        _group(
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


def _jobs(k: Knobs, e: Expect) -> list[dict[str, Any]]:
    svc = k.services[0]
    w = {"service": svc, "job": "worker", "instance": "worker:8000"}
    matching = {**w, "job_type": "matching"}
    failure = {**matching, "error_class": "data", "exception_type": "ValueError"}
    fail_name = jobs.FAILURES.exposition_name
    finished = jobs.RUNS_FINISHED.exposition_name
    progress = jobs.OLDEST_PROGRESS.name  # a Unix time: age = time() - value
    last = jobs.LAST_SUCCESS.name
    retries = jobs.RETRIES.exposition_name
    jt = ("job_type",)

    failed = e.alert(
        A.JOB_FAILED,
        S.WARNING,
        {
            "service": svc,
            "job_type": "matching",
            "error_class": "data",
            "exception_type": "ValueError",
        },
        summary=f"{svc}: a matching run failed",
        description=(
            "A matching run failed for good (retries exhausted or not retryable) with "
            "ValueError, a data error, in the last 10m."
        ),
        dashboard=D.JOBS,
        dashboard_vars=jt,
    )

    def ratio(job_type: str, share: str) -> dict[str, Any]:
        return e.alert(
            A.JOB_FAILURE_RATIO_HIGH,
            S.WARNING,
            {"service": svc, "job_type": job_type},
            summary=f"{svc}: many {job_type} runs fail",
            description=(
                f"{share} of {job_type} runs finished in the last 30m failed or timed out "
                "(threshold 25%)."
            ),
            dashboard=D.JOBS,
            dashboard_vars=jt,
        )

    outright = e.alert(
        A.JOB_FAILURE_RATIO_HIGH,
        S.CRITICAL,
        {"service": svc, "job_type": "digest"},
        summary=f"{svc}: every digest run fails",
        description=(
            "Every digest run finished in the last 30m failed or timed out (at least 4 runs)."
        ),
        dashboard=D.JOBS,
        dashboard_vars=jt,
    )

    def stuck(job_type: str, age: str) -> dict[str, Any]:
        return e.alert(
            A.JOB_STUCK,
            S.WARNING,
            {"service": svc, "job_type": job_type},
            summary=f"{svc}: a {job_type} run is stuck",
            description=f"A running {job_type} run has reported no progress for {age}.",
            dashboard=D.JOBS,
            dashboard_vars=jt,
        )

    storm = e.alert(
        A.JOB_RETRY_STORM,
        S.WARNING,
        {"service": svc, "job_type": "matching"},
        summary=f"{svc}: matching retries storm",
        description="matching runs are retried 500m times per second over 10m (threshold 0.2/s).",
        dashboard=D.JOBS,
        dashboard_vars=jt,
    )
    # Every job type with a success expectation succeeds all the time (timestamps follow the
    # clock), so JobNotSucceeded stays quiet in these groups.
    recent = [
        series(last, {**w, "job_type": t}, "0+60x80")
        for t in ("matching", "resume_parsing", "digest")
    ]
    return [
        _group(
            [
                series(finished, {**matching, "job_status": "succeeded"}, "0+1x70"),
                # Two runs, one failed: 50%, but under min_runs.
                series(
                    finished, {**w, "job_type": "digest", "job_status": "succeeded"}, "0x10 1x60"
                ),
                series(finished, {**w, "job_type": "digest", "job_status": "failed"}, "0x10 1x60"),
                # matching progresses all the time; digest's time since progress grows by
                # 10 s a minute (65m: under 11 min, below the 15 min default).
                series(progress, matching, "0+60x70"),
                series(progress, {**w, "job_type": "digest"}, "0+50x70"),
                series(retries, {**matching, "error_class": "transient"}, "0+1x70"),
                *recent,
            ],
            [
                alert_test("20m", A.JOB_FAILED),
                alert_test("65m", A.JOB_FAILURE_RATIO_HIGH),
                alert_test("65m", A.JOB_STUCK),
                alert_test("30m", A.JOB_RETRY_STORM),
                alert_test("65m", A.JOB_NOT_SUCCEEDED),
            ],
        ),
        # A failure type seen for the first time creates its series with value 1.
        _group(
            [series(fail_name, failure, "_x5 1x30"), *recent],
            [
                alert_test("6m", A.JOB_FAILED),
                alert_test("8m", A.JOB_FAILED, failed),
                alert_test("20m", A.JOB_FAILED),
            ],
        ),
        # A known failure type incrementing.
        _group(
            [series(fail_name, failure, "0x5 1x30"), *recent],
            [alert_test("7m", A.JOB_FAILED), alert_test("9m", A.JOB_FAILED, failed)],
        ),
        _group(
            [
                series(finished, {**matching, "job_status": "succeeded"}, "0+1x70"),
                series(finished, {**matching, "job_status": "failed"}, "0+1x70"),
                *recent,
            ],
            [
                alert_test("10m", A.JOB_FAILURE_RATIO_HIGH),
                alert_test("17m", A.JOB_FAILURE_RATIO_HIGH, ratio("matching", "50%")),
                # Half failing is a cause: it never pages, however long it lasts.
                alert_test("63m", A.JOB_FAILURE_RATIO_HIGH, ratio("matching", "50%")),
            ],
        ),
        # Every run failing: digest (no SLO) pages; matching's own SLO pages for it instead.
        _group(
            [
                series(finished, {**w, "job_type": "digest", "job_status": "failed"}, "0+1x40"),
                series(finished, {**matching, "job_status": "failed"}, "0+1x40"),
                *recent,
            ],
            [
                alert_test("12m", A.JOB_FAILURE_RATIO_HIGH),
                alert_test(
                    "25m",
                    A.JOB_FAILURE_RATIO_HIGH,
                    outright,
                    ratio("digest", "100%"),
                    ratio("matching", "100%"),
                ),
            ],
        ),
        # matching has its own threshold (30m), digest the default (15m).
        _group(
            [
                # Neither has progressed since t=0.
                series(progress, matching, "0x70"),
                series(progress, {**w, "job_type": "digest"}, "0x70"),
                *recent,
            ],
            [
                alert_test("14m", A.JOB_STUCK),
                alert_test("25m", A.JOB_STUCK, stuck("digest", "25m 0s")),
                alert_test(
                    "35m",
                    A.JOB_STUCK,
                    stuck("digest", "35m 0s"),
                    stuck("matching", "35m 0s"),
                ),
                alert_test(
                    "65m",
                    A.JOB_STUCK,
                    stuck("digest", "1h 5m 0s"),
                    stuck("matching", "1h 5m 0s"),
                ),
            ],
        ),
        _group(
            [series(retries, {**matching, "error_class": "transient"}, "0+30x30"), *recent],
            [alert_test("5m", A.JOB_RETRY_STORM), alert_test("15m", A.JOB_RETRY_STORM, storm)],
        ),
    ]


def _not_succeeded(k: Knobs, e: Expect) -> list[dict[str, Any]]:
    """JobNotSucceeded over hours: its own file, rules evaluated hourly."""
    svc = k.services[0]
    w = {"service": svc, "job": "worker", "instance": "worker:8000"}
    last = jobs.LAST_SUCCESS.name

    def late(job_type: str, every: str, ago: str, service: str | None = svc) -> dict[str, Any]:
        labels = (
            {"job_type": job_type} if service is None else {"service": svc, "job_type": job_type}
        )
        return e.alert(
            A.JOB_NOT_SUCCEEDED,
            S.WARNING,
            labels,
            summary=f"{service or ''}: {job_type} has not succeeded for {every}",
            description=(
                f"No {job_type} run has succeeded for {ago}; {job_type} must succeed at least "
                f"every {every}."
            ),
            dashboard=D.JOBS,
            dashboard_vars=("job_type",),
        )

    fresh = [series(last, {**w, "job_type": t}, "0+300x160") for t in ("resume_parsing", "digest")]
    return [
        # matching last succeeded at time 0; the others keep succeeding.
        _group(
            [series(last, {**w, "job_type": "matching"}, "0x160"), *fresh],
            [
                alert_test("6h", A.JOB_NOT_SUCCEEDED),
                alert_test("7h", A.JOB_NOT_SUCCEEDED, late("matching", "6h", "7h 0m 0s")),
                # A cause: it never pages, however long it lasts.
                alert_test("13h", A.JOB_NOT_SUCCEEDED, late("matching", "6h", "13h 0m 0s")),
            ],
            interval="5m",
        ),
        # resume_parsing never succeeded since the process started: no series at all, and no
        # process that knows the job type (the alert cannot name the service) ...
        _group(
            [series(last, {**w, "job_type": t}, "0+300x30") for t in ("matching", "digest")],
            [
                alert_test(
                    "1h",
                    A.JOB_NOT_SUCCEEDED,
                    late("resume_parsing", "1h", "1h 0m 0s", service=None),
                ),
            ],
            interval="5m",
        ),
        # ... or a process runs it (its in-progress gauge) without success: the service named.
        _group(
            [
                *(series(last, {**w, "job_type": t}, "0+300x30") for t in ("matching", "digest")),
                series(jobs.RUNS_IN_PROGRESS.name, {**w, "job_type": "resume_parsing"}, "1x30"),
            ],
            [
                alert_test("1h", A.JOB_NOT_SUCCEEDED, late("resume_parsing", "1h", "1h 0m 0s")),
            ],
            interval="5m",
        ),
    ]


def _error_spike_week(k: Knobs, e: Expect) -> list[dict[str, Any]]:
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
    spike = e.alert(
        A.ERROR_SPIKE,
        S.WARNING,
        {"service": svc, "job": "worker", "error_source": "job"},
        summary=f"{svc}: job errors spike",
        description=(
            "job errors at 500m/s over 10m, more than 3x the rate at the same time last week."
        ),
        dashboard=D.ERRORS,
    )
    return [
        # As many errors as last week (0.5/s): no spike.
        _group(
            [series(name, err, f"0+150x{week + 30}")],
            [alert_test(f"{week * 5 + 120}m", A.ERROR_SPIKE)],
            interval="5m",
        ),
        # 0.1/s last week, 0.5/s from 1w+2h on (at 1w the week-old window is still empty: the
        # condition holds for one evaluation, then the comparison takes over).
        _group(
            [series(name, err, f"0+30x{week + 24} {30 * (week + 24) + 150}+150x30")],
            [
                alert_test(f"{week * 5 + 180}m", A.ERROR_SPIKE),
                alert_test(f"{week * 5 + 240}m", A.ERROR_SPIKE, spike),
            ],
            interval="5m",
        ),
    ]


def _health(k: Knobs, e: Expect) -> list[dict[str, Any]]:
    svc = k.services[0]
    app = {"service": svc, "job": "app", "instance": "app:8000"}
    status = health.CHECK_STATUS.name

    def check(name: str, kind: str, now: str, steps: int = 40) -> list[dict[str, str]]:
        out = []
        for st in ("healthy", "degraded", "unhealthy"):
            lab = {**app, "health_check_name": name, "health_check_kind": kind, "health_status": st}
            out.append(series(status, lab, f"1x{steps}" if st == now else f"0x{steps}"))
        return out

    def failing(severity: S) -> dict[str, Any]:
        return e.alert(
            A.HEALTH_CHECK_FAILING,
            severity,
            {"service": svc, "health_check_name": "redis", "health_check_kind": "non_critical"},
            summary=f"{svc}: health check redis fails",
            description="The non_critical health check redis reports unhealthy.",
            dashboard=D.HEALTH,
        )

    down = e.alert(
        A.DATABASE_DOWN,
        S.CRITICAL,
        {"service": svc, "health_check_name": "postgres"},
        summary=f"{svc}: the database is unreachable",
        description="Health check postgres has reported the database unhealthy for 1m.",
        dashboard=D.HEALTH,
    )
    schema = e.alert(
        A.SCHEMA_INVALID,
        S.WARNING,
        {"service": svc, "health_check_name": "schema"},
        summary=f"{svc}: the database schema does not match",
        description=(
            "Health check schema has found the database schema invalid (missing migration, "
            "table or column) for 5m."
        ),
        dashboard=D.HEALTH,
    )

    def slow(severity: S) -> dict[str, Any]:
        return e.alert(
            A.DATABASE_SLOW,
            severity,
            {"service": svc, "db_operation_name": "SELECT"},
            summary=f"{svc}: database SELECT is slow",
            description="The 99th percentile duration of SELECT statements is 995ms, above 0.5s.",
            dashboard=D.HEALTH,
        )

    select = {**app, "db_system_name": "postgresql", "db_operation_name": "SELECT"}
    return [
        _group(
            [
                *check("postgres", "critical", "healthy"),
                *check("schema", "critical", "healthy"),
                *check("redis", "non_critical", "degraded"),
                *bucket_series(db.OPERATION_DURATION, select, 60, 0.01, 40),
            ],
            [
                alert_test("35m", A.HEALTH_CHECK_FAILING),
                alert_test("35m", A.DATABASE_DOWN),
                alert_test("35m", A.SCHEMA_INVALID),
                alert_test("35m", A.DATABASE_SLOW),
            ],
        ),
        _group(
            check("redis", "non_critical", "unhealthy"),
            [
                alert_test("4m", A.HEALTH_CHECK_FAILING),
                alert_test("7m", A.HEALTH_CHECK_FAILING, failing(S.WARNING)),
                alert_test("38m", A.HEALTH_CHECK_FAILING, failing(S.WARNING)),
            ],
        ),
        # The database and schema checks fire their own alerts, not HealthCheckFailing.
        _group(
            [
                *check("postgres", "critical", "unhealthy"),
                *check("schema", "critical", "unhealthy"),
            ],
            [
                alert_test("0m", A.DATABASE_DOWN),
                alert_test("2m", A.DATABASE_DOWN, down),
                alert_test("3m", A.SCHEMA_INVALID),
                alert_test("6m", A.SCHEMA_INVALID, schema),
                alert_test("32m", A.HEALTH_CHECK_FAILING),
            ],
        ),
        _group(
            bucket_series(db.OPERATION_DURATION, select, 60, 0.5, 40),
            [
                alert_test("5m", A.DATABASE_SLOW),
                alert_test("12m", A.DATABASE_SLOW, slow(S.WARNING)),
                alert_test("38m", A.DATABASE_SLOW, slow(S.WARNING)),
            ],
        ),
    ]


def _host(k: Knobs, e: Expect) -> list[dict[str, Any]]:
    svc = k.services[0]
    host = {"service": svc, "job": "app", "instance": "app:8000"}
    mount = {**host, "system_filesystem_mountpoint": "/var/lib/postgresql"}
    fs = health.FILESYSTEM_UTILIZATION.name
    mem = health.MEMORY_UTILIZATION.name
    disk = e.alert(
        A.DISK_WILL_FILL_IN_24H,
        S.WARNING,
        {
            "service": svc,
            "instance": "app:8000",
            "system_filesystem_mountpoint": "/var/lib/postgresql",
        },
        summary=f"{svc}: /var/lib/postgresql on app:8000 will fill within 24h",
        description=(
            "At the rate of the last 6h, the file system at /var/lib/postgresql would be "
            "134% full in 24h."
        ),
        dashboard=D.HEALTH,
    )

    def memory(severity: S) -> dict[str, Any]:
        return e.alert(
            A.MEMORY_HIGH,
            severity,
            {"service": svc, "instance": "app:8000"},
            summary=f"{svc}: memory on app:8000 is nearly full",
            description="95% of the host's memory is in use (threshold 90%).",
            dashboard=D.HEALTH,
        )

    return [
        _group(
            [
                series(fs, mount, "0.6x70"),
                # Growing fast but far from full.
                series(fs, {**host, "system_filesystem_mountpoint": "/tmp"}, "0.1+0.001x70"),
                series(mem, host, "0.5x70"),
            ],
            [alert_test("65m", A.DISK_WILL_FILL_IN_24H), alert_test("65m", A.MEMORY_HIGH)],
        ),
        _group(
            [series(fs, mount, "0.6+0.0005x70")],
            [
                alert_test("20m", A.DISK_WILL_FILL_IN_24H),
                alert_test("40m", A.DISK_WILL_FILL_IN_24H, disk),
            ],
        ),
        _group(
            [series(mem, host, "0.95x70")],
            [
                alert_test("10m", A.MEMORY_HIGH),
                alert_test("17m", A.MEMORY_HIGH, memory(S.WARNING)),
                alert_test("68m", A.MEMORY_HIGH, memory(S.WARNING)),
            ],
        ),
    ]


def _slo_alerts(k: Knobs, e: Expect) -> list[dict[str, Any]]:
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
        _group(
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
        _group(
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
        _group(
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
        _group(
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
        _group(
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


def test_files() -> dict[str, dict[str, Any]]:
    """File name (under ``tests/``) to its content: the test files and the rules they test."""
    knobs = load_knobs(TEST_KNOBS)
    e = Expect(knobs)
    alerts = [
        *_availability(knobs, e),
        *_http(knobs, e),
        *_jobs(knobs, e),
        *_health(knobs, e),
        *_host(knobs, e),
        *backlog_tests(knobs, e),
    ]
    return {
        "alerts.test.yml": {
            **rules_under_test(knobs, *ALERT_RULES),
            "evaluation_interval": "1m",
            "tests": alerts,
        },
        # Rules evaluated hourly over 5-minute data: a week of history costs 170 evaluations.
        "alerts-long.test.yml": {
            **rules_under_test(knobs, *ALERT_RULES),
            "evaluation_interval": "1h",
            "tests": [*_not_succeeded(knobs, e), *_error_spike_week(knobs, e)],
        },
        "slo-alerts.test.yml": {
            **rules_under_test(knobs, "slo.rules.yml"),
            "evaluation_interval": "5m",
            "tests": _slo_alerts(knobs, e),
        },
        **record_files(knobs),
        **scenario_files(knobs),
        "exporters.test.yml": exporter_test_file(knobs),
        **meta_test_files(knobs),
        **cause_test_files(knobs),
        **breaker_test_files(knobs, e),
        **{f"rules/{name}": content for name, content in rule_files(knobs).items()},
    }
