"""SLO recording rules and multi-window, multi-burn-rate alerts (SRE workbook, chapter 5).

Each objective records its events and bad events per second over 5 minutes. The error ratio
over a longer window divides the *sums* of those over the window, so every 5-minute slice
weighs by its traffic (never an average of ratios). Bad events are 0, not absent, whenever
there is traffic, so a service that never failed still has a ratio and an alert expression.
"""

from __future__ import annotations

from typing import Any

from prometheus import recording as r
from prometheus.alerting import Dashboard, alert_rule
from prometheus.burnrates import BURN_TIERS, Tier
from prometheus.catalog import Alert, Severity
from prometheus.knobs import Knobs, Objective
from prometheus.labels import JOB_STATUS, JOB_TYPE
from prometheus.promql import by, le_value, num, zero_if_absent
from prometheus.recording_rules import SERVER_ERROR, Source
from signalpost.jobs.state import JobState
from signalpost.semconv import http, jobs

__all__ = ["BURN_TIERS", "budget_group", "slo_groups", "slo_rollups"]

Rule = dict[str, Any]


def _events(knobs: Knobs, slo: Objective, window: str, recorded: str) -> tuple[str, str]:
    """(events, bad events) of ``slo`` over ``window``: per second for 5m, counts otherwise.

    ``recorded`` names the events' recording rule, evaluated just before the bad events' in
    the same group: the bad events expression reads it rather than repeating its PromQL.
    """
    src = Source(knobs, window)
    svc = knobs.service_label

    def recorded_events(labels: tuple[str, ...]) -> str:
        return f'sum {by(labels)} ({recorded}{{slo="{slo.name}"}})'

    def total(metric: str, labels: tuple[str, ...], *matchers: str) -> str:
        return src.count(labels, metric, *matchers)

    if slo.kind == "job_success":
        labels = (svc, JOB_TYPE)
        jt = f'{JOB_TYPE}="{slo.job_type}"'
        metric = jobs.RUNS_FINISHED.exposition_name
        events = total(metric, labels, jt, f'{JOB_STATUS}!="{JobState.CANCELLED}"')
        failed = f"{JobState.FAILED}|{JobState.TIMED_OUT}"
        bad = total(metric, labels, jt, f'{JOB_STATUS}=~"{failed}"')
        return events, zero_if_absent(bad, recorded_events(labels))
    count = f"{http.REQUEST_DURATION.name}_count"
    events = total(count, (svc,))
    if slo.kind == "http_availability":
        return events, zero_if_absent(total(count, (svc,), SERVER_ERROR), recorded_events((svc,)))
    if slo.threshold_seconds is None:  # Objective's validator requires it; this narrows
        raise ValueError(f"SLO {slo.name}: http_latency needs threshold_seconds")
    fast = total(
        f"{http.REQUEST_DURATION.name}_bucket",
        (svc,),
        f'le="{le_value(slo.threshold_seconds)}"',
    )
    return events, f"({recorded_events((svc,))} - {fast})"


def slo_groups(knobs: Knobs) -> list[dict[str, Any]]:
    """SLO events, error ratios per burn window, and the burn-rate alerts."""
    records: list[Rule] = []
    for slo in knobs.slos.objectives:
        events, bad = _events(knobs, slo, "5m", r.SLO_EVENTS)
        records.append({"record": r.SLO_EVENTS, "expr": events, "labels": {"slo": slo.name}})
        records.append({"record": r.SLO_BAD, "expr": bad, "labels": {"slo": slo.name}})
    for window in r.SLO_BURN_WINDOWS:
        if window == "5m":
            expr = f"{r.SLO_BAD} / {r.SLO_EVENTS}"
        else:
            expr = f"sum_over_time({r.SLO_BAD}[{window}]) / sum_over_time({r.SLO_EVENTS}[{window}])"
        records.append({"record": r.slo_error_ratio(window), "expr": expr})
    alerts = [
        _burn_alert(knobs, slo, *tier) for slo in knobs.slos.objectives for tier in BURN_TIERS
    ]
    return [
        {"name": "signalpost.slo.recording", "rules": records},
        {"name": "signalpost.slo.alerts", "rules": alerts},
    ]


def _burn_alert(
    knobs: Knobs,
    slo: Objective,
    name: Alert,
    severity: Severity,
    tiers: tuple[Tier, ...],
) -> Rule:
    budget = 1 - slo.target
    fast = severity is Severity.CRITICAL
    this = f'{{slo="{slo.name}"}}'
    least = knobs.min_bad_events(slo)
    clauses = []
    for long, short, rate in tiers:
        limit = num(rate * budget)
        clause = (
            f"{r.slo_error_ratio(long)}{this} > {limit} "
            f"and {r.slo_error_ratio(short)}{this} > {limit}"
        )
        if fast and least > 0:
            # SRE workbook, low traffic: a page needs enough bad events in the long window.
            # Each event weighs 1/300 in every 5-minute rate sample that covers it: the sum
            # over the window, per sample in 5 minutes, times 300 counts them (to about 20 %)
            # whatever the evaluation interval and however little history there is.
            bad = f"{r.SLO_BAD}{this}"
            clause += (
                f" and sum_over_time({bad}[{long}]) / count_over_time({bad}[5m]) * 300 "
                f">= {num(least)}"
            )
        clauses.append(f"({clause})")
    pace = " or ".join(f"{num(rate)}x over {long}" for long, _, rate in tiers)
    job = slo.kind == "job_success"
    svc = knobs.service_label
    return alert_rule(
        knobs,
        name,
        severity=severity,
        expr=" or ".join(clauses),
        for_=knobs.slos.fast_for if fast else knobs.slos.slow_for,
        summary=(
            f"{{{{ $labels.{svc} }}}}: SLO {{{{ $labels.slo }}}} is burning its error budget "
            + ("fast" if fast else "steadily")
        ),
        description=(
            "{{ $value | humanizePercentage }} of {{ $labels.slo }} events were bad over the "
            f"long window (objective {num(slo.target * 100)}% over {knobs.slos.window}, "
            f"error budget {num(budget * 100)}%): spending the budget at {pace} its "
            "sustainable rate."
        ),
        dashboard=Dashboard.JOBS if job else Dashboard.SERVICE,
        dashboard_vars=(JOB_TYPE,) if job else (),
        labels={"slo": slo.name},
    )


def slo_rollups(knobs: Knobs, window: str) -> list[Rule]:
    """Hourly or daily SLO event counts (for the budget and the long-term store)."""
    rules: list[Rule] = []
    for slo in knobs.slos.objectives:
        events, bad = _events(knobs, slo, window, r.rollup(r.SLO_EVENTS, window))
        labels = {"slo": slo.name}
        rules.append({"record": r.rollup(r.SLO_EVENTS, window), "expr": events, "labels": labels})
        rules.append({"record": r.rollup(r.SLO_BAD, window), "expr": bad, "labels": labels})
    return rules


def budget_group(knobs: Knobs) -> dict[str, Any]:
    """Error budget remaining over the SLO window, from the hourly roll-ups.

    Loaded by the main Prometheus (which sees at most its own retention of roll-ups) and by the
    hourly long-term store (which keeps the whole window); remote write does not carry it.
    """
    window = knobs.slos.window
    bad, events = r.rollup(r.SLO_BAD, "1h"), r.rollup(r.SLO_EVENTS, "1h")
    rules = []
    for slo in knobs.slos.objectives:
        match = f'{{slo="{slo.name}"}}'
        ratio = f"sum_over_time({bad}{match}[{window}]) / sum_over_time({events}{match}[{window}])"
        rules.append(
            {
                "record": r.SLO_ERROR_BUDGET_REMAINING,
                "expr": f"1 - ({ratio}) / {num(1 - slo.target)}",
                "labels": {"slo": slo.name},
            }
        )
    return {"name": "signalpost.slo.budget", "interval": "1h", "rules": rules}
