"""How an alerting rule is put together: labels, annotations, links, escalation."""

from __future__ import annotations

from typing import Any

from prometheus.catalog import Alert, Severity
from prometheus.knobs import AlertKnobs, Knobs
from prometheus.lookup import JOB_TYPE, lookup_annotations

__all__ = ["Dashboard", "alert_rule", "escalating"]

Rule = dict[str, Any]


class Dashboard:
    """Grafana dashboard UIDs (fixed; the Grafana generator uses the same)."""

    SERVICE = "signalpost-service"
    JOBS = "signalpost-jobs"
    ERRORS = "signalpost-errors"
    HEALTH = "signalpost-health"
    ALERTS = "signalpost-alerts"
    LOOKUP = "signalpost-lookup"
    LONGTERM = "signalpost-longterm"


def alert_rule(
    knobs: Knobs,
    name: Alert,
    *,
    severity: Severity,
    expr: str,
    for_: str,
    summary: str,
    description: str,
    dashboard: str,
    dashboard_vars: tuple[str, ...] = (),
    labels: dict[str, str] | None = None,
) -> Rule:
    """One alerting rule with the labels and annotations every alert carries.

    ``dashboard_vars`` are labels passed on as Grafana variables (``var-job_type=...``) beside
    ``service``.
    """
    query = "&".join(f"var-{var}={{{{ $labels.{var} }}}}" for var in ("service", *dashboard_vars))
    rule: Rule = {"alert": str(name), "expr": expr}
    if for_ not in ("0s", "0m"):
        rule["for"] = for_
    rule["labels"] = {"severity": str(severity), **(labels or {})}
    rule["annotations"] = {
        "summary": summary,
        "description": description,
        "runbook_url": f"{knobs.urls.runbooks.rstrip('/')}/{name}.md",
        "dashboard_url": f"{knobs.urls.grafana.rstrip('/')}/d/{dashboard}?{query}",
    }
    job = JOB_TYPE in dashboard_vars or JOB_TYPE in (labels or {})
    rule["annotations"].update(lookup_annotations(knobs, name, job=job))
    return rule


def escalating(
    knobs: Knobs,
    name: Alert,
    timing: AlertKnobs,
    **kwargs: Any,
) -> list[Rule]:
    """The warning rule, and the same condition as critical after ``escalate_after``."""
    rules = [alert_rule(knobs, name, severity=Severity.WARNING, for_=timing.for_, **kwargs)]
    if timing.escalate_after is not None:
        rules.append(
            alert_rule(
                knobs, name, severity=Severity.CRITICAL, for_=timing.escalate_after, **kwargs
            )
        )
    return rules
