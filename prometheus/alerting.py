"""How an alerting rule is put together: labels, annotations, links."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from prometheus.catalog import SYMPTOM_FAMILY, Alert, Family, Severity
from prometheus.knobs import Knobs
from prometheus.labels import JOB_TYPE
from prometheus.lookup import lookup_annotations

__all__ = ["Dashboard", "FamilyAlerts", "ServiceAlerts", "alert_rule", "symptom_job"]

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


def symptom_job(knobs: Knobs, name: Alert, labels: dict[str, str]) -> str | None:
    """The ``job`` label a symptom alert carries: the scrape job whose targets produce it.

    ``None`` for alerts that are no symptom of one job (causes, host and meta alerts), and when
    the service label is ``job`` itself (the service is the job: nothing to tell apart, and the
    label must keep its value). The SLO burn alerts take the family of their SLO
    (``labels["slo"]``): job SLOs belong to the jobs.
    """
    if knobs.service_label == "job":
        return None
    family = SYMPTOM_FAMILY.get(name)
    if name in (Alert.ERROR_BUDGET_BURN_FAST, Alert.ERROR_BUDGET_BURN_SLOW):
        kinds = {o.name: o.kind for o in knobs.slos.objectives}
        family = Family.JOBS if kinds.get(labels.get("slo", "")) == "job_success" else Family.HTTP
    if family is None:
        return None
    return knobs.symptom_job("http" if family is Family.HTTP else "jobs")


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
    keep_firing_for: str | None = None,
) -> Rule:
    """One alerting rule with the labels and annotations every alert carries.

    ``dashboard_vars`` are labels passed on as Grafana variables (``var-job_type=...``) beside
    ``service`` (the value of the knobs' ``service_label``). When that label is not
    ``service``, the alert gets a ``service`` label with its value: Alertmanager routes,
    groups and inhibits on ``service`` whatever the targets call it. Symptoms get the ``job``
    label of :func:`symptom_job`. ``keep_firing_for`` (causes and their aftermath alerts)
    keeps the alert firing, and inhibiting its lagging symptoms, after its condition cleared.
    """
    svc = knobs.service_label
    pairs = [("service", svc), *((var, var) for var in dashboard_vars)]
    query = "&".join(f"var-{var}={{{{ $labels.{label} }}}}" for var, label in pairs)
    rule: Rule = {"alert": str(name), "expr": expr}
    if for_ not in ("0s", "0m"):
        rule["for"] = for_
    if keep_firing_for is not None:
        rule["keep_firing_for"] = keep_firing_for
    rule["labels"] = {"severity": str(severity), **(labels or {})}
    if svc != "service":
        rule["labels"]["service"] = f"{{{{ $labels.{svc} }}}}"
    scrape_job = symptom_job(knobs, name, rule["labels"])
    if scrape_job is not None:
        rule["labels"]["job"] = scrape_job
    rule["annotations"] = {
        "summary": summary,
        "description": description,
        "runbook_url": f"{knobs.urls.runbooks.rstrip('/')}/{name}.md",
        "dashboard_url": f"{knobs.urls.grafana.rstrip('/')}/d/{dashboard}?{query}",
    }
    job = JOB_TYPE in dashboard_vars or JOB_TYPE in (labels or {})
    rule["annotations"].update(lookup_annotations(knobs, name, job=job))
    return rule


@dataclass(frozen=True)
class FamilyAlerts:
    """The alert builder of one family of alerts.

    Each alert links to ``dashboard`` with ``dashboard_vars`` and has ``severity`` unless the
    call names another.
    """

    knobs: Knobs
    dashboard: str
    dashboard_vars: tuple[str, ...] = ()
    severity: Severity = Severity.WARNING

    def _summary(self, summary: str) -> str:
        return summary

    def __call__(
        self,
        name: Alert,
        *,
        expr: str,
        for_: str,
        summary: str,
        description: str,
        severity: Severity | None = None,
        labels: dict[str, str] | None = None,
        keep_firing_for: str | None = None,
    ) -> Rule:
        """One alert of the family: :func:`alert_rule` with the family's settings."""
        return alert_rule(
            self.knobs,
            name,
            severity=severity or self.severity,
            expr=expr,
            for_=for_,
            summary=self._summary(summary),
            description=description,
            dashboard=self.dashboard,
            dashboard_vars=self.dashboard_vars,
            labels=labels,
            keep_firing_for=keep_firing_for,
        )


@dataclass(frozen=True)
class ServiceAlerts(FamilyAlerts):
    """The alert builder of one family of per-service alerts: each summary is prefixed with the
    service (``{{ $labels.<service_label> }}: ``)."""

    def _summary(self, summary: str) -> str:
        return f"{{{{ $labels.{self.knobs.service_label} }}}}: {summary}"
