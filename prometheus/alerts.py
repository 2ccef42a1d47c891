"""Alerting rules (the SLO burn alerts live in :mod:`prometheus.slo`)."""

from __future__ import annotations

from typing import Any

from prometheus import recording as r
from prometheus import selfmetrics as m
from prometheus.alerting import Dashboard, alert_rule
from prometheus.backlog import backlog_group
from prometheus.breaker_alerts import breaker_alerts
from prometheus.catalog import Alert, Severity
from prometheus.exporter_metrics import NODE_JOB
from prometheus.inhibition import symptom_lag
from prometheus.knobs import Knobs, seconds
from prometheus.meta import meta_rules
from prometheus.promql import by, eq, match, matcher_regex, no_match, num, selector
from prometheus.recording_rules import (
    CHECK_KIND,
    CHECK_NAME,
    DB_OPERATION,
    HEALTH_STATUS,
    JOB_STATUS,
    JOB_TYPE,
    ROUTE,
    Source,
)
from signalpost.instrumentation.health.result import Status
from signalpost.instrumentation.jobs.state import JobState
from signalpost.instrumentation.semconv import attributes as attr
from signalpost.instrumentation.semconv import errors, health, jobs, prometheus_label

__all__ = ["alert_groups"]

Rule = dict[str, Any]

ERROR_SOURCE = prometheus_label(attr.ERROR_SOURCE)
ERROR_CLASS = prometheus_label(attr.ERROR_CLASS)
EXCEPTION_TYPE = prometheus_label(attr.EXCEPTION_TYPE)
MOUNTPOINT = prometheus_label(health.FILESYSTEM_MOUNTPOINT)
UNHEALTHY = eq(HEALTH_STATUS, Status.UNHEALTHY)


def _named(label: str, service: str) -> tuple[str, ...]:
    # With `service_label: job` the scrape job's own name is the service's.
    return () if label == "job" else (eq(label, service),)


def _availability(k: Knobs) -> list[Rule]:
    a = k.alerts
    svc = k.service_label
    # Exporters down are causes (ExporterDown warns), not the service down.
    skip = (no_match("job", matcher_regex(k.exporters.jobs)),) if k.exporters.jobs else ()
    # The monitoring stack's own parts have MonitoringTargetDown (a warning), not a page.
    own = (f'{svc}!="{k.monitoring_service}"',) if svc != "job" else ()
    up = selector(m.UP, *k.selector, *own, *skip)
    jobs_l = tuple(dict.fromkeys((svc, "job")))  # service_label may be ``job`` itself
    all_down = f"max {by(jobs_l)} ({up}) == 0"
    missing = " or ".join(
        f"absent({selector(m.UP, *k.selector, *_named(svc, s), eq('job', j))})"
        for s, j in k.service_jobs
    )
    return [
        alert_rule(
            k,
            Alert.SERVICE_DOWN,
            severity=Severity.CRITICAL,
            # A target that service discovery removes leaves `up` absent, not 0: the absent
            # branch (same labels) keeps a dead worker's alert firing instead of resolving it.
            expr=f"{all_down} or {missing}",
            for_=a.service_down.for_,
            keep_firing_for=a.service_down.keep_firing_for or symptom_lag(k),
            summary=f"{{{{ $labels.{svc} }}}} is down: no {{{{ $labels.job }}}} target answers",
            description=(
                f"Every {{{{ $labels.job }}}} target of {{{{ $labels.{svc} }}}} has failed its "
                f"scrapes, or none is left to scrape, for {a.service_down.for_}."
            ),
            dashboard=Dashboard.HEALTH,
        ),
        alert_rule(
            k,
            Alert.INSTANCE_DOWN,
            severity=Severity.WARNING,
            # One of N replicas: ServiceDown (every target down) covers the rest.
            expr=(
                f"max {by((*jobs_l, 'instance'))} ({up}) == 0 "
                f"unless on ({', '.join(jobs_l)}) ({all_down})"
            ),
            for_=a.instance_down.for_,
            summary=(
                f"{{{{ $labels.{svc} }}}}: {{{{ $labels.job }}}} target {{{{ $labels.instance }}}} "
                "is down"
            ),
            description=(
                f"{{{{ $labels.instance }}}} has failed its scrapes for {a.instance_down.for_}; "
                f"other {{{{ $labels.job }}}} targets of {{{{ $labels.{svc} }}}} still answer."
            ),
            dashboard=Dashboard.HEALTH,
        ),
        alert_rule(
            k,
            Alert.TARGET_MISSING,
            severity=Severity.CRITICAL,
            expr=missing,
            for_=a.target_missing.for_,
            summary="No {{ $labels.job }} target to scrape",
            description=(
                "Prometheus has had no {{ $labels.job }} target to scrape "
                f"for {a.target_missing.for_}: service discovery or the scrape configuration lost "
                "it, so nothing about it is monitored."
            ),
            dashboard=Dashboard.HEALTH,
        ),
    ]


def _http(k: Knobs) -> list[Rule]:
    a = k.alerts
    svc = k.service_label
    hl, spike = a.high_latency, a.error_spike
    q = num(hl.quantile)
    errs = selector(errors.ERRORS.exposition_name, *k.selector)
    # `job` kept: the scrape job whose errors spike is the one whose ServiceDown explains it.
    labels = tuple(dict.fromkeys((svc, "job", ERROR_SOURCE)))
    now = f"sum {by(labels)} (rate({errs}[{spike.window}]))"
    week_ago = f"sum {by(labels)} (rate({errs}[{spike.window}] offset 1w))"
    return [
        alert_rule(
            k,
            Alert.HIGH_LATENCY,
            severity=Severity.WARNING,
            for_=hl.for_,
            expr=(
                f'max by ({svc}, {ROUTE}) ({r.HTTP_LATENCY}{{quantile="{q}"}}) '
                f"> {num(hl.threshold_seconds)} "
                f"and on ({svc}, {ROUTE}) {r.HTTP_REQUESTS} > {num(hl.min_request_rate)}"
            ),
            summary=f"{{{{ $labels.{svc} }}}}: {{{{ $labels.{ROUTE} }}}} is slow",
            description=(
                f"The {num(hl.quantile * 100)}th percentile latency of {{{{ $labels.{ROUTE} }}}} "
                "is {{ $value | humanizeDuration }}, above "
                f"{num(hl.threshold_seconds)}s."
            ),
            dashboard=Dashboard.SERVICE,
            dashboard_vars=(ROUTE,),
        ),
        alert_rule(
            k,
            Alert.ERROR_SPIKE,
            severity=Severity.WARNING,
            expr=(
                f"({now} > {num(spike.factor)} * ({week_ago} or 0 * {now})) "
                f"and {now} > {num(spike.min_rate)}"
            ),
            for_=spike.for_,
            summary=(f"{{{{ $labels.{svc} }}}}: {{{{ $labels.{ERROR_SOURCE} }}}} errors spike"),
            description=(
                f"{{{{ $labels.{ERROR_SOURCE} }}}} errors at {{{{ $value | humanize }}}}/s over "
                f"{spike.window}, more than {num(spike.factor)}x the rate at the same time last "
                "week."
            ),
            dashboard=Dashboard.ERRORS,
        ),
    ]


def _jobs(k: Knobs) -> list[Rule]:
    a = k.alerts
    svc = k.service_label
    sel = k.selector
    jl = (svc, JOB_TYPE)
    failures = selector(jobs.FAILURES.exposition_name, *sel)
    fail_l = (*jl, ERROR_CLASS, EXCEPTION_TYPE)
    failed_window = k.alerts.job_failed.window
    fr = a.job_failure_ratio_high
    src = Source(k, fr.window)
    finished = jobs.RUNS_FINISHED.exposition_name
    failed = f"{JobState.FAILED}|{JobState.TIMED_OUT}"
    ended = src.count(jl, finished)
    bad = src.count(jl, finished, match(JOB_STATUS, failed))
    # A job type failing outright pages, unless its job_success SLO already pages for it.
    slo_types = [o.job_type for o in k.slos.objectives if o.job_type is not None]
    no_slo = (no_match(JOB_TYPE, matcher_regex(slo_types)),) if slo_types else ()
    ended_unguarded = src.count(jl, finished, *no_slo)
    bad_unguarded = src.count(jl, finished, match(JOB_STATUS, failed), *no_slo)
    rules: list[Rule] = [
        alert_rule(
            k,
            Alert.JOB_FAILED,
            severity=Severity.WARNING,
            # A counter's first increment creates its series: ``unless ... offset`` sees it,
            # increase() cannot (it needs two samples). A series pre-created at 0 is no failure.
            expr=(
                f"sum {by(fail_l)} (increase({failures}[{failed_window}])) > 0 "
                f"or sum {by(fail_l)} (({failures} unless {failures} offset {failed_window}) > 0)"
            ),
            for_=k.alerts.job_failed.for_,
            summary=f"{{{{ $labels.{svc} }}}}: a {{{{ $labels.{JOB_TYPE} }}}} run failed",
            description=(
                f"A {{{{ $labels.{JOB_TYPE} }}}} run failed for good (retries exhausted or not "
                f"retryable) with {{{{ $labels.{EXCEPTION_TYPE} }}}}, a "
                f"{{{{ $labels.{ERROR_CLASS} }}}} error, in the last {failed_window}."
            ),
            dashboard=Dashboard.JOBS,
            dashboard_vars=(JOB_TYPE,),
        ),
        alert_rule(
            k,
            Alert.JOB_FAILURE_RATIO_HIGH,
            severity=Severity.WARNING,
            for_=fr.for_,
            expr=f"({bad} / {ended}) > {num(fr.threshold)} and {ended} >= {num(fr.min_runs)}",
            summary=f"{{{{ $labels.{svc} }}}}: many {{{{ $labels.{JOB_TYPE} }}}} runs fail",
            description=(
                f"{{{{ $value | humanizePercentage }}}} of {{{{ $labels.{JOB_TYPE} }}}} runs "
                f"finished in the last {fr.window} failed or timed out (threshold "
                f"{num(fr.threshold * 100)}%)."
            ),
            dashboard=Dashboard.JOBS,
            dashboard_vars=(JOB_TYPE,),
        ),
        alert_rule(
            k,
            Alert.JOB_FAILURE_RATIO_HIGH,
            severity=Severity.CRITICAL,
            for_=fr.for_,
            expr=(
                f"({bad_unguarded} / {ended_unguarded}) >= 1 "
                f"and {ended_unguarded} >= {num(fr.min_runs)}"
            ),
            summary=f"{{{{ $labels.{svc} }}}}: every {{{{ $labels.{JOB_TYPE} }}}} run fails",
            description=(
                f"Every {{{{ $labels.{JOB_TYPE} }}}} run finished in the last {fr.window} "
                f"failed or timed out (at least {num(fr.min_runs)} runs)."
            ),
            dashboard=Dashboard.JOBS,
            dashboard_vars=(JOB_TYPE,),
        ),
    ]
    # JobStuck: each listed job type with its own threshold, the others with the default.
    # The runs publish the Unix time of the least recent progress report (the minimum over
    # live processes, +Inf when none runs): the time since progress is computed here.
    progress = jobs.OLDEST_PROGRESS.name
    own = {jt: t.no_progress_after for jt, t in k.job_types.items() if t.no_progress_after}
    stuck = [
        f"time() - min {by(jl)} ({selector(progress, *sel, eq(JOB_TYPE, jt))}) > {num(seconds(d))}"
        for jt, d in own.items()
    ]
    others = (no_match(JOB_TYPE, matcher_regex(own)),) if own else ()
    default = k.alerts.job_stuck.no_progress_after
    stuck.append(
        f"time() - min {by(jl)} ({selector(progress, *sel, *others)}) > {num(seconds(default))}"
    )
    stuck_rule = alert_rule(
        k,
        Alert.JOB_STUCK,
        severity=Severity.WARNING,
        for_=a.job_stuck.for_,
        expr=" or ".join(stuck),
        summary=f"{{{{ $labels.{svc} }}}}: a {{{{ $labels.{JOB_TYPE} }}}} run is stuck",
        description=(
            f"A running {{{{ $labels.{JOB_TYPE} }}}} run has reported no progress for "
            "{{ $value | humanizeDuration }}."
        ),
        dashboard=Dashboard.JOBS,
        dashboard_vars=(JOB_TYPE,),
    )
    rules.append(stuck_rule)
    # JobNotSucceeded: job types with an expected success interval. A restarted process has
    # no series until its first success, and the old process's series ends: the latest
    # success any process reported within the interval (max over time and instances) counts.
    last = jobs.LAST_SUCCESS.name
    in_progress = jobs.RUNS_IN_PROGRESS.name
    expected = {jt: t.succeed_every for jt, t in k.job_types.items() if t.succeed_every}
    for jt, every in expected.items():
        latest = selector(last, *sel, eq(JOB_TYPE, jt))
        limit = num(seconds(every))
        since = f"time() - max {by(jl)} (max_over_time({latest}[{every}])) > {limit}"
        # No success reported in the whole interval: "not within the interval" (its value is
        # the interval, a minimum). A process that knows the job type (its in-progress gauge)
        # names the service; with no such process the alert has the job type only.
        known = f"group {by(jl)} ({selector(in_progress, *sel, eq(JOB_TYPE, jt))}) * {limit}"
        never = (
            f"{known} unless on ({svc}, {JOB_TYPE}) max_over_time({latest}[{every}]) "
            f"or absent_over_time({latest}[{every}]) * {limit} unless on ({JOB_TYPE}) {known}"
        )
        rules.append(
            alert_rule(
                k,
                Alert.JOB_NOT_SUCCEEDED,
                severity=Severity.WARNING,
                for_=a.job_not_succeeded.for_,
                expr=f"{since} or {never}",
                summary=f"{{{{ $labels.{svc} }}}}: {jt} has not succeeded for {every}",
                labels={JOB_TYPE: jt},
                description=(
                    f"No {jt} run has succeeded for {{{{ $value | humanizeDuration }}}}; {jt} must "
                    f"succeed at least every {every}."
                ),
                dashboard=Dashboard.JOBS,
                dashboard_vars=(JOB_TYPE,),
            )
        )
    rs = a.job_retry_storm
    retries = selector(jobs.RETRIES.exposition_name, *sel)
    rules.append(
        alert_rule(
            k,
            Alert.JOB_RETRY_STORM,
            severity=Severity.WARNING,
            expr=f"sum {by(jl)} (rate({retries}[{rs.window}])) > {num(rs.threshold)}",
            for_=rs.for_,
            summary=f"{{{{ $labels.{svc} }}}}: {{{{ $labels.{JOB_TYPE} }}}} retries storm",
            description=(
                f"{{{{ $labels.{JOB_TYPE} }}}} runs are retried {{{{ $value | humanize }}}} "
                f"times per second over {rs.window} (threshold {num(rs.threshold)}/s)."
            ),
            dashboard=Dashboard.JOBS,
            dashboard_vars=(JOB_TYPE,),
        )
    )
    return rules


def _health(k: Knobs) -> list[Rule]:
    a = k.alerts
    svc = k.service_label
    hc = k.health_checks
    special = matcher_regex((*hc.database, *hc.schema_))
    check_l = (svc, CHECK_NAME)

    def failing(*matchers: str) -> str:
        return f"max {by(check_l)} ({selector(r.HEALTH_CHECK_STATUS, UNHEALTHY, *matchers)}) == 1"

    db_ops = (svc, DB_OPERATION)
    ds = a.database_slow
    q = num(ds.quantile)
    return [
        alert_rule(
            k,
            Alert.HEALTH_CHECK_FAILING,
            severity=Severity.WARNING,
            for_=a.health_check_failing.for_,
            expr=(
                f"max by ({svc}, {CHECK_NAME}, {CHECK_KIND}) "
                f"({selector(r.HEALTH_CHECK_STATUS, UNHEALTHY, no_match(CHECK_NAME, special))})"
                " == 1"
            ),
            summary=(f"{{{{ $labels.{svc} }}}}: health check {{{{ $labels.{CHECK_NAME} }}}} fails"),
            description=(
                f"The {{{{ $labels.{CHECK_KIND} }}}} health check {{{{ $labels.{CHECK_NAME} }}}} "
                "reports unhealthy."
            ),
            dashboard=Dashboard.HEALTH,
        ),
        alert_rule(
            k,
            Alert.DATABASE_DOWN,
            severity=Severity.CRITICAL,
            expr=failing(match(CHECK_NAME, matcher_regex(hc.database))),
            for_=a.database_down.for_,
            keep_firing_for=a.database_down.keep_firing_for or symptom_lag(k),
            summary=f"{{{{ $labels.{svc} }}}}: the database is unreachable",
            description=(
                f"Health check {{{{ $labels.{CHECK_NAME} }}}} has reported the database "
                f"unhealthy for {a.database_down.for_}."
            ),
            dashboard=Dashboard.HEALTH,
        ),
        alert_rule(
            k,
            Alert.DATABASE_SLOW,
            severity=Severity.WARNING,
            for_=ds.for_,
            expr=(
                f'max {by(db_ops)} ({r.DB_LATENCY}{{quantile="{q}"}}) '
                f"> {num(ds.threshold_seconds)} "
                f"and on ({svc}, {DB_OPERATION}) {r.DB_OPERATIONS} > {num(ds.min_rate)}"
            ),
            summary=(f"{{{{ $labels.{svc} }}}}: database {{{{ $labels.{DB_OPERATION} }}}} is slow"),
            description=(
                f"The {num(ds.quantile * 100)}th percentile duration of "
                f"{{{{ $labels.{DB_OPERATION} }}}} statements is "
                "{{ $value | humanizeDuration }}, above "
                f"{num(ds.threshold_seconds)}s."
            ),
            dashboard=Dashboard.HEALTH,
        ),
        alert_rule(
            k,
            Alert.SCHEMA_INVALID,
            severity=Severity.WARNING,
            expr=failing(match(CHECK_NAME, matcher_regex(hc.schema_))),
            for_=a.schema_invalid.for_,
            summary=f"{{{{ $labels.{svc} }}}}: the database schema does not match",
            description=(
                f"Health check {{{{ $labels.{CHECK_NAME} }}}} has found the database schema "
                f"invalid (missing migration, table or column) for {a.schema_invalid.for_}."
            ),
            dashboard=Dashboard.HEALTH,
        ),
    ]


def _host(k: Knobs) -> list[Rule]:
    a = k.alerts
    svc = k.service_label
    dk, mem = a.disk_will_fill, a.memory_high
    fs = selector(health.FILESYSTEM_UTILIZATION.name, *k.selector)
    fs_l = (svc, "instance", MOUNTPOINT)
    memory = selector(health.MEMORY_UTILIZATION.name, *k.selector)
    # Services whose host node_exporter watches get the Node* alerts; these stay for the rest.
    node_up = selector(m.UP, *k.selector, eq("job", NODE_JOB))
    fallback = f" unless on ({svc}) ({node_up} == 1)" if k.exporters.targets(NODE_JOB) else ""
    return [
        alert_rule(
            k,
            Alert.DISK_WILL_FILL_IN_24H,
            severity=Severity.WARNING,
            expr=(
                f"max {by(fs_l)} (predict_linear({fs}[{dk.history}], 86400)) > 1 "
                f"and max {by(fs_l)} ({fs}) > {num(dk.min_utilization)}{fallback}"
            ),
            for_=dk.for_,
            summary=(
                f"{{{{ $labels.{svc} }}}}: {{{{ $labels.{MOUNTPOINT} }}}} on "
                "{{ $labels.instance }} will fill within 24h"
            ),
            description=(
                f"At the rate of the last {dk.history}, the file system at "
                f"{{{{ $labels.{MOUNTPOINT} }}}} would be {{{{ $value | humanizePercentage }}}} "
                "full in 24h."
            ),
            dashboard=Dashboard.HEALTH,
        ),
        alert_rule(
            k,
            Alert.MEMORY_HIGH,
            severity=Severity.WARNING,
            for_=mem.for_,
            expr=f"max by ({svc}, instance) ({memory}) > {num(mem.threshold)}{fallback}",
            summary=(
                f"{{{{ $labels.{svc} }}}}: memory on {{{{ $labels.instance }}}} is nearly full"
            ),
            description=(
                "{{ $value | humanizePercentage }} of the host's memory is in use (threshold "
                f"{num(mem.threshold * 100)}%)."
            ),
            dashboard=Dashboard.HEALTH,
        ),
    ]


def alert_groups(knobs: Knobs) -> list[dict[str, Any]]:
    """Alert rule groups, by area."""
    return [
        {"name": "signalpost.availability", "rules": _availability(knobs)},
        {"name": "signalpost.http", "rules": _http(knobs)},
        {"name": "signalpost.jobs", "rules": _jobs(knobs)},
        {"name": "signalpost.health", "rules": _health(knobs)},
        {"name": "signalpost.host", "rules": _host(knobs)},
        {"name": "signalpost.meta", "rules": meta_rules(knobs)},
        backlog_group(knobs),
        {"name": "signalpost.breaker", "rules": breaker_alerts(knobs)},
    ]
