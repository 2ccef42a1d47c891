"""How an alerting rule is put together: labels, annotations, links."""

from __future__ import annotations

from typing import Any

from prometheus.catalog import Alert, Severity
from prometheus.knobs import Knobs
from prometheus.lookup import JOB_TYPE, lookup_annotations

__all__ = ["Dashboard", "alert_rule"]

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
    HOST = "signalpost-host"
    POSTGRES = "signalpost-postgres"


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
    ``service`` (the value of the knobs' ``service_label``). When that label is not
    ``service``, the alert gets a ``service`` label with its value: Alertmanager routes,
    groups and inhibits on ``service`` whatever the targets call it.
    """
    svc = knobs.service_label
    pairs = [("service", svc), *((var, var) for var in dashboard_vars)]
    query = "&".join(f"var-{var}={{{{ $labels.{label} }}}}" for var, label in pairs)
    rule: Rule = {"alert": str(name), "expr": expr}
    if for_ not in ("0s", "0m"):
        rule["for"] = for_
    rule["labels"] = {"severity": str(severity), **(labels or {})}
    if svc != "service":
        rule["labels"]["service"] = f"{{{{ $labels.{svc} }}}}"
    rule["annotations"] = {
        "summary": summary,
        "description": description,
        "runbook_url": f"{knobs.urls.runbooks.rstrip('/')}/{name}.md",
        "dashboard_url": f"{knobs.urls.grafana.rstrip('/')}/d/{dashboard}?{query}",
    }
    job = JOB_TYPE in dashboard_vars or JOB_TYPE in (labels or {})
    rule["annotations"].update(lookup_annotations(knobs, name, job=job))
    return rule
