"""promtool unit tests of the backlog alerts (:mod:`prometheus.backlog`), for the repository's
own knobs: ``resume_parsing`` may wait 2m, other job types the 10m default.

The backlog gauges come from the web app (``job="app"``) and, in one group, from a worker
reading the same queue too (a replica: combined with ``max``, one alert); the run counters
from the worker.
"""

from __future__ import annotations

from typing import Any

from prometheus.alerting import Dashboard as D
from prometheus.catalog import Alert as A
from prometheus.catalog import Severity as S
from prometheus.knobs import Knobs
from prometheus.testdata import Expect, ServiceExpect, alert_group, alert_test, series
from signalpost.semconv import jobs

__all__ = ["backlog_tests"]

JT = ("job_type",)



def backlog_tests(k: Knobs, e: Expect) -> list[dict[str, Any]]:
    """The test groups: healthy data, then each alert not yet and firing."""
    svc = k.services[0]
    app = {"service": svc, "job": "app", "instance": "app:8000"}
    worker = {"service": svc, "job": "worker", "instance": "worker:8000"}
    waiting, age = jobs.WAITING.name, jobs.OLDEST_WAITING_AGE.name
    started = jobs.RUNS_STARTED.exposition_name
    finished = jobs.RUNS_FINISHED.exposition_name
    attempts = jobs.ATTEMPTS.exposition_name

    def q(job_type: str, queue: str = "default", on: dict[str, str] = app) -> dict[str, str]:
        return {**on, "job_type": job_type, "job_queue": queue}

    def runs(job_type: str, values: str) -> list[dict[str, str]]:
        w = {**worker, "job_type": job_type}
        return [
            series(started, w, values),
            series(finished, {**w, "job_status": "succeeded"}, values),
            series(attempts, {**w, "error_class": ""}, values),
        ]

    expect = ServiceExpect(e, svc, D.JOBS, JT)

    def too_long(severity: S, job_type: str, waited: str) -> dict[str, Any]:
        return expect(
            A.JOB_WAITING_TOO_LONG,
            severity,
            f"{job_type} jobs wait too long",
            (
                f"The oldest {job_type} job waiting in queue 'default' has waited {waited} "
                "for a run to start."
            ),
            job_type=job_type,
            job_queue="default",
        )

    def growing(grew: str) -> dict[str, Any]:
        return expect(
            A.JOB_BACKLOG_GROWING,
            S.WARNING,
            "matching backlog keeps growing",
            (
                f"matching jobs waiting in queue 'default' grew by {grew} over the last 15m, "
                "for 15m, while runs of the type kept finishing: the workers cannot keep up."
            ),
            job_type="matching",
            job_queue="default",
        )

    def stalled(severity: S, count: str, job_type: str = "digest", queue: str = "default") -> (
        dict[str, Any]
    ):
        labels = {"service": svc, "job_type": job_type}
        if queue:  # an empty label is no label
            labels["job_queue"] = queue
        where = f" in queue '{queue}'" if queue else ""
        return e.alert(
            A.JOB_QUEUE_STALLED,
            severity,
            labels,
            summary=f"{svc}: {job_type} jobs wait and none runs",
            description=(
                f"{count} {job_type} jobs wait{where} and no run of the type has started for "
                "10m: no worker consumes them."
            ),
            dashboard=D.JOBS,
            dashboard_vars=JT,
        )

    return [
        # Healthy: a backlog that comes and goes in bursts, young jobs, runs keep starting.
        alert_group(
            [
                series(waiting, q("matching"), " ".join(["0 4 2 0 7 3 1 0 5 2"] * 4 + ["0"])),
                series(age, q("matching"), " ".join(["0 20 35 0 50 12 30 0 9 40"] * 4 + ["0"])),
                series(waiting, q("resume_parsing"), "0 1 0 2 0 1 0 0 1 0x32"),
                series(age, q("resume_parsing"), "0 30 0 100 0 45 0 0 110 0x32"),
                *runs("matching", "0+3x40"),
                *runs("resume_parsing", "0+1x40"),
            ],
            [
                alert_test("20m", A.JOB_WAITING_TOO_LONG),
                alert_test("40m", A.JOB_WAITING_TOO_LONG),
                alert_test("40m", A.JOB_BACKLOG_GROWING),
                alert_test("40m", A.JOB_QUEUE_STALLED),
            ],
        ),
        # Ages growing a minute per minute: resume_parsing past its own 2m, digest past the
        # 10m default; the app and a worker both report the resume_parsing queue.
        alert_group(
            [
                series(age, q("resume_parsing"), "0+60x40"),
                series(age, q("resume_parsing", on=worker), "0+59x40"),
                series(age, q("digest"), "0+60x40"),
                series(waiting, q("resume_parsing"), "1x40"),
                series(waiting, q("digest"), "1x40"),
                *runs("resume_parsing", "0+1x40"),
                *runs("digest", "0+1x40"),
            ],
            [
                alert_test("2m", A.JOB_WAITING_TOO_LONG),
                alert_test(
                    "3m",
                    A.JOB_WAITING_TOO_LONG,
                    too_long(S.WARNING, "resume_parsing", "3m 0s"),
                ),
                alert_test(
                    "11m",
                    A.JOB_WAITING_TOO_LONG,
                    too_long(S.WARNING, "digest", "11m 0s"),
                    too_long(S.WARNING, "resume_parsing", "11m 0s"),
                ),
                alert_test(
                    "35m",
                    A.JOB_WAITING_TOO_LONG,
                    too_long(S.WARNING, "digest", "35m 0s"),
                    too_long(S.WARNING, "resume_parsing", "35m 0s"),
                ),
            ],
        ),
        # matching: one more job waits every minute while runs keep finishing.
        alert_group(
            [
                series(waiting, q("matching"), "0+1x40"),
                series(age, q("matching"), "0+5x40"),
                *runs("matching", "0+2x40"),
            ],
            [
                alert_test("10m", A.JOB_BACKLOG_GROWING),
                alert_test("25m", A.JOB_BACKLOG_GROWING, growing("15")),
                alert_test("25m", A.JOB_QUEUE_STALLED),
            ],
        ),
        # digest: three jobs wait from 2m on and no run starts (the counters stay flat); the
        # backlog is not growing while runs finish, so only JobQueueStalled fires.
        alert_group(
            [
                series(waiting, q("digest"), "0 0 3x40"),
                series(age, q("digest"), "0 0 0+60x40"),
                *runs("digest", "5x42"),
            ],
            [
                alert_test("5m", A.JOB_QUEUE_STALLED),
                alert_test("8m", A.JOB_QUEUE_STALLED, stalled(S.CRITICAL, "3")),
                alert_test(
                    "20m",
                    A.JOB_QUEUE_STALLED,
                    stalled(S.CRITICAL, "3"),
                ),
                alert_test("20m", A.JOB_BACKLOG_GROWING),
            ],
        ),
        # A queue of one's own (a table) has no queue name: the label is absent, and so is
        # the queue in the description. The worker restarted at 3m: its counters start again
        # from 0 (increase() handles the reset) and no run starts after it.
        alert_group(
            [
                series(waiting, q("matching", ""), "2x30"),
                *runs("matching", "0 1 2 0x30"),
            ],
            [
                alert_test("10m", A.JOB_QUEUE_STALLED),
                alert_test(
                    "20m", A.JOB_QUEUE_STALLED, stalled(S.CRITICAL, "2", "matching", "")
                ),
            ],
        ),
    ]
