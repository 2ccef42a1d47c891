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
from prometheus.catalog import Alert, Severity
from prometheus.knobs import Knobs, Objective
from prometheus.promql import by, le_value, num, selector, zero_if_absent
from prometheus.recording_rules import JOB_STATUS, JOB_TYPE, SERVER_ERROR, service_matcher
from signalpost.instrumentation.jobs.state import JobState
from signalpost.instrumentation.semconv import http, jobs

__all__ = ["BURN_TIERS", "budget_group", "slo_groups", "slo_rollups"]

Rule = dict[str, Any]

# (alert, severity, ((long window, short window, burn rate), ...)): the workbook's tiers.
BURN_TIERS: tuple[tuple[Alert, Severity, tuple[tuple[str, str, float], ...]], ...] = (
    (Alert.ERROR_BUDGET_BURN_FAST, Severity.CRITICAL, (("1h", "5m", 14.4), ("6h", "30m", 6.0))),
    (Alert.ERROR_BUDGET_BURN_SLOW, Severity.WARNING, (("1d", "2h", 3.0), ("3d", "6h", 1.0))),
)


def _events(knobs: Knobs, slo: Objective, window: str) -> tuple[str, str]:
    """(events, bad events) of ``slo`` over ``window``: per second for 5m, counts otherwise."""
    fn = "rate" if window == "5m" else "increase"
    service = service_matcher(knobs)

    def total(metric: str, labels: tuple[str, ...], *matchers: str) -> str:
        return f"sum {by(labels)} ({fn}({selector(metric, service, *matchers)}[{window}]))"

    if slo.kind == "job_success":
        labels = ("service", JOB_TYPE)
        jt = f'{JOB_TYPE}="{slo.job_type}"'
        metric = jobs.RUNS_FINISHED.exposition_name
        events = total(metric, labels, jt, f'{JOB_STATUS}!="{JobState.CANCELLED}"')
        failed = f"{JobState.FAILED}|{JobState.TIMED_OUT}"
        bad = zero_if_absent(total(metric, labels, jt, f'{JOB_STATUS}=~"{failed}"'), events)
        return events, bad
    count = f"{http.REQUEST_DURATION.name}_count"
    events = total(count, ("service",))
    if slo.kind == "http_availability":
        return events, zero_if_absent(total(count, ("service",), SERVER_ERROR), events)
    if slo.threshold_seconds is None:  # Objective's validator requires it; this narrows
        raise ValueError(f"SLO {slo.name}: http_latency needs threshold_seconds")
    fast = total(
        f"{http.REQUEST_DURATION.name}_bucket",
        ("service",),
        f'le="{le_value(slo.threshold_seconds)}"',
    )
    return events, f"({events} - {fast})"


def slo_groups(knobs: Knobs) -> list[dict[str, Any]]:
    """SLO events, error ratios per burn window, and the burn-rate alerts."""
    records: list[Rule] = []
    for slo in knobs.slos.objectives:
        events, bad = _events(knobs, slo, "5m")
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
    tiers: tuple[tuple[str, str, float], ...],
) -> Rule:
    budget = 1 - slo.target
    clauses = []
    for long, short, rate in tiers:
        limit = num(rate * budget)
        clauses.append(
            f'({r.slo_error_ratio(long)}{{slo="{slo.name}"}} > {limit} '
            f'and {r.slo_error_ratio(short)}{{slo="{slo.name}"}} > {limit})'
        )
    pace = " or ".join(f"{num(rate)}x over {long}" for long, _, rate in tiers)
    fast = severity is Severity.CRITICAL
    job = slo.kind == "job_success"
    return alert_rule(
        knobs,
        name,
        severity=severity,
        expr=" or ".join(clauses),
        for_=knobs.slos.fast_for if fast else knobs.slos.slow_for,
        summary=(
            "{{ $labels.service }}: SLO {{ $labels.slo }} is burning its error budget "
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
        events, bad = _events(knobs, slo, window)
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
