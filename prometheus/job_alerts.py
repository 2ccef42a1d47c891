"""Alerts on background job runs (the waiting before a run: :mod:`prometheus.backlog`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from prometheus.alerting import Dashboard, Rule, ServiceAlerts
from prometheus.catalog import Alert, Severity
from prometheus.knobs import Knobs, seconds
from prometheus.labels import ERROR_CLASS, EXCEPTION_TYPE, FAILED_STATUSES, JOB_STATUS, JOB_TYPE
from prometheus.promql import by, eq, match, matcher_regex, no_match, num, selector
from prometheus.recording_rules import Source
from signalpost.semconv import jobs

__all__ = ["job_alerts", "job_type_thresholds"]



def job_type_thresholds(
    own: Mapping[str, str],
    default: str,
    condition: Callable[[tuple[str, ...], str], str],
    skip: Iterable[str] = (),
) -> str:
    """One condition per job type with a threshold of its own, one for the rest, or-ed.

    ``condition(matchers, limit)`` is the PromQL of one part: ``matchers`` select the job
    types it covers, ``limit`` is the threshold in seconds. The rest (``default``) leave out
    the job types listed in ``own`` and in ``skip``.
    """
    parts = [condition((eq(JOB_TYPE, jt),), num(seconds(limit))) for jt, limit in own.items()]
    excluded = [*own, *skip]
    others = (no_match(JOB_TYPE, matcher_regex(excluded)),) if excluded else ()
    parts.append(condition(others, num(seconds(default))))
    return " or ".join(parts)


def job_alerts(k: Knobs) -> list[Rule]:
    """Failed runs, failure ratios, stuck runs, overdue successes and retry storms."""
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
    failed = FAILED_STATUSES
    ended = src.count(jl, finished)
    bad = src.count(jl, finished, match(JOB_STATUS, failed))
    # A job type failing outright pages, unless its job_success SLO already pages for it.
    slo_types = [o.job_type for o in k.slos.objectives if o.job_type is not None]
    no_slo = (no_match(JOB_TYPE, matcher_regex(slo_types)),) if slo_types else ()
    ended_unguarded = src.count(jl, finished, *no_slo)
    bad_unguarded = src.count(jl, finished, match(JOB_STATUS, failed), *no_slo)
    warn = ServiceAlerts(k, Dashboard.JOBS, (JOB_TYPE,))
    rules: list[Rule] = [
        warn(
            Alert.JOB_FAILED,
            # A counter's first increment creates its series: ``unless ... offset`` sees it,
            # increase() cannot (it needs two samples). A series pre-created at 0 is no failure.
            expr=(
                f"sum {by(fail_l)} (increase({failures}[{failed_window}])) > 0 "
                f"or sum {by(fail_l)} (({failures} unless {failures} offset {failed_window}) > 0)"
            ),
            for_=k.alerts.job_failed.for_,
            summary=f"a {{{{ $labels.{JOB_TYPE} }}}} run failed",
            description=(
                f"A {{{{ $labels.{JOB_TYPE} }}}} run failed for good (retries exhausted or not "
                f"retryable) with {{{{ $labels.{EXCEPTION_TYPE} }}}}, a "
                f"{{{{ $labels.{ERROR_CLASS} }}}} error, in the last {failed_window}."
            ),
        ),
        warn(
            Alert.JOB_FAILURE_RATIO_HIGH,
            for_=fr.for_,
            expr=f"({bad} / {ended}) > {num(fr.threshold)} and {ended} >= {num(fr.min_runs)}",
            summary=f"many {{{{ $labels.{JOB_TYPE} }}}} runs fail",
            description=(
                f"{{{{ $value | humanizePercentage }}}} of {{{{ $labels.{JOB_TYPE} }}}} runs "
                f"finished in the last {fr.window} failed or timed out (threshold "
                f"{num(fr.threshold * 100)}%)."
            ),
        ),
        warn(
            Alert.JOB_FAILURE_RATIO_HIGH,
            severity=Severity.CRITICAL,
            for_=fr.for_,
            expr=(
                f"({bad_unguarded} / {ended_unguarded}) >= 1 "
                f"and {ended_unguarded} >= {num(fr.min_runs)}"
            ),
            summary=f"every {{{{ $labels.{JOB_TYPE} }}}} run fails",
            description=(
                f"Every {{{{ $labels.{JOB_TYPE} }}}} run finished in the last {fr.window} "
                f"failed or timed out (at least {num(fr.min_runs)} runs)."
            ),
        ),
    ]
    # JobStuck: each listed job type with its own threshold, the others with the default.
    # The runs publish the Unix time of the least recent progress report (the minimum over
    # live processes, +Inf when none runs): the time since progress is computed here.
    progress = jobs.OLDEST_PROGRESS.name
    stuck = job_type_thresholds(
        {jt: t.no_progress_after for jt, t in k.job_types.items() if t.no_progress_after},
        k.alerts.job_stuck.no_progress_after,
        lambda matchers, limit: (
            f"time() - min {by(jl)} ({selector(progress, *sel, *matchers)}) > {limit}"
        ),
    )
    stuck_rule = warn(
        Alert.JOB_STUCK,
        for_=a.job_stuck.for_,
        expr=stuck,
        summary=f"a {{{{ $labels.{JOB_TYPE} }}}} run is stuck",
        description=(
            f"A running {{{{ $labels.{JOB_TYPE} }}}} run has reported no progress for "
            "{{ $value | humanizeDuration }}."
        ),
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
            warn(
                Alert.JOB_NOT_SUCCEEDED,
                for_=a.job_not_succeeded.for_,
                expr=f"{since} or {never}",
                summary=f"{jt} has not succeeded for {every}",
                labels={JOB_TYPE: jt},
                description=(
                    f"No {jt} run has succeeded for {{{{ $value | humanizeDuration }}}}; {jt} must "
                    f"succeed at least every {every}."
                ),
            )
        )
    rs = a.job_retry_storm
    retries = selector(jobs.RETRIES.exposition_name, *sel)
    rules.append(
        warn(
            Alert.JOB_RETRY_STORM,
            expr=f"sum {by(jl)} (rate({retries}[{rs.window}])) > {num(rs.threshold)}",
            for_=rs.for_,
            summary=f"{{{{ $labels.{JOB_TYPE} }}}} retries storm",
            description=(
                f"{{{{ $labels.{JOB_TYPE} }}}} runs are retried {{{{ $value | humanize }}}} "
                f"times per second over {rs.window} (threshold {num(rs.threshold)}/s)."
            ),
        )
    )
    return rules
