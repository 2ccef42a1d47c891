"""promtool unit tests of the job-run alerts (``alerts.test.yml``, ``alerts-long.test.yml``)."""

from __future__ import annotations

from typing import Any

from prometheus.alerting import Dashboard as D
from prometheus.catalog import Alert as A
from prometheus.catalog import Severity as S
from prometheus.knobs import Knobs
from prometheus.testdata import Expect, ServiceExpect, alert_group, alert_test, series
from signalpost.semconv import jobs

__all__ = ["job_tests", "not_succeeded_tests"]


def job_tests(k: Knobs, e: Expect) -> list[dict[str, Any]]:
    """JobFailed, JobFailureRatioHigh, JobStuck and JobRetryStorm (1-minute interval)."""
    svc = k.services[0]
    w = {"service": svc, "job": "worker", "instance": "worker:8000"}
    matching = {**w, "job_type": "matching"}
    failure = {**matching, "error_class": "data", "exception_type": "ValueError"}
    fail_name = jobs.FAILURES.exposition_name
    finished = jobs.RUNS_FINISHED.exposition_name
    progress = jobs.OLDEST_PROGRESS.name  # a Unix time: age = time() - value
    last = jobs.LAST_SUCCESS.name
    retries = jobs.RETRIES.exposition_name
    expect = ServiceExpect(e, svc, D.JOBS, ("job_type",))
    failed = expect(
        A.JOB_FAILED,
        S.WARNING,
        "a matching run failed",
        (
            "A matching run failed for good (retries exhausted or not retryable) with "
            "ValueError, a data error, in the last 10m."
        ),
        job_type="matching",
        error_class="data",
        exception_type="ValueError",
    )

    def ratio(job_type: str, share: str) -> dict[str, Any]:
        return expect(
            A.JOB_FAILURE_RATIO_HIGH,
            S.WARNING,
            f"many {job_type} runs fail",
            (
                f"{share} of {job_type} runs finished in the last 30m failed or timed out "
                "(threshold 25%)."
            ),
            job_type=job_type,
        )

    outright = expect(
        A.JOB_FAILURE_RATIO_HIGH,
        S.CRITICAL,
        "every digest run fails",
        "Every digest run finished in the last 30m failed or timed out (at least 4 runs).",
        job_type="digest",
    )

    def stuck(job_type: str, age: str) -> dict[str, Any]:
        return expect(
            A.JOB_STUCK,
            S.WARNING,
            f"a {job_type} run is stuck",
            f"A running {job_type} run has reported no progress for {age}.",
            job_type=job_type,
        )

    storm = expect(
        A.JOB_RETRY_STORM,
        S.WARNING,
        "matching retries storm",
        "matching runs are retried 500m times per second over 10m (threshold 0.2/s).",
        job_type="matching",
    )
    # Every job type with a success expectation succeeds all the time (timestamps follow the
    # clock), so JobNotSucceeded stays quiet in these groups.
    recent = [
        series(last, {**w, "job_type": t}, "0+60x80")
        for t in ("matching", "resume_parsing", "digest")
    ]
    return [
        alert_group(
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
        alert_group(
            [series(fail_name, failure, "_x5 1x30"), *recent],
            [
                alert_test("6m", A.JOB_FAILED),
                alert_test("8m", A.JOB_FAILED, failed),
                alert_test("20m", A.JOB_FAILED),
            ],
        ),
        # A known failure type incrementing.
        alert_group(
            [series(fail_name, failure, "0x5 1x30"), *recent],
            [alert_test("7m", A.JOB_FAILED), alert_test("9m", A.JOB_FAILED, failed)],
        ),
        alert_group(
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
        alert_group(
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
        alert_group(
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
        alert_group(
            [series(retries, {**matching, "error_class": "transient"}, "0+30x30"), *recent],
            [alert_test("5m", A.JOB_RETRY_STORM), alert_test("15m", A.JOB_RETRY_STORM, storm)],
        ),
    ]


def not_succeeded_tests(k: Knobs, e: Expect) -> list[dict[str, Any]]:
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
        alert_group(
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
        alert_group(
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
        alert_group(
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
