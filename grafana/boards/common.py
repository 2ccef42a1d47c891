"""What every dashboard shares: links to the others, the service variable, runbook URLs."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.models.dashboard import (
    DashboardLinkType,
    VariableRefresh,
    VariableSort,
)

from grafana import datasources as ds
from grafana import queries as q
from prometheus.alerting import Dashboard as Uid
from prometheus.catalog import Alert
from prometheus.knobs import Knobs

__all__ = [
    "GENERATED_TAG",
    "TAG",
    "Uid",
    "dashboard_url",
    "instance_variable",
    "label_variable",
    "new_dashboard",
    "runbook",
]

TAG = "signalpost"
GENERATED_TAG = "signalpost-generated"
"""Marks a dashboard written by ``python -m grafana.generate``: the only files it may replace
or delete in an output directory it shares with other dashboards."""


def runbook(knobs: Knobs, alert: Alert) -> tuple[str, str]:
    """A (title, URL) link to an alert's runbook, as the alert's ``runbook_url`` names it."""
    return (f"Runbook: {alert}", f"{knobs.urls.runbooks.rstrip('/')}/{alert}.md")


def dashboard_url(uid: str, *variables: str) -> str:
    """A relative link to another dashboard, passing the time range and the given variables."""
    passed = "&".join(f"var-{v}=${{{v}}}" for v in ("service", *variables))
    return f"/d/{uid}?{passed}&${{__url_time_range}}"


def label_variable(
    var: str, metric: str, *, multi: bool = True, scoped: bool = True
) -> db.QueryVariable:
    """A variable listing the values of label ``var`` on ``metric`` (within ``$service``)."""
    label = q.VARIABLES.get(var, var)
    selector = q.sel() if scoped else ""
    query = f"label_values({metric}{selector}, {label})"
    variable = (
        db.QueryVariable(var)
        .label(var.replace("_", " "))
        .datasource(ds.ref(ds.PROMETHEUS))
        .query(query)
        .definition(query)
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_ASC)
    )
    if multi:
        variable = variable.multi(True).include_all(True).all_value(".*")
    return variable


def instance_variable(metric: str) -> db.QueryVariable:
    """The replicas of ``$service`` exporting ``metric``; "All" by default. Panels on raw series
    filter on it (:data:`grafana.queries.INSTANCES`)."""
    return label_variable("instance", metric)


def new_dashboard(uid: str, title: str, description: str, knobs: Knobs) -> db.Dashboard:
    """A dashboard with the stable ``uid``, links to every Signalpost dashboard and runbooks."""
    service_query = f'label_values(up{{{q.SERVICE}!="{knobs.monitoring_service}"}}, {q.SERVICE})'
    service = (
        db.QueryVariable("service")
        .label("service")
        .datasource(ds.ref(ds.PROMETHEUS))
        .query(service_query)
        .definition(service_query)
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_ASC)
    )
    return (
        db.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags([TAG, GENERATED_TAG])
        .readonly()
        .time("now-6h", "now")
        .refresh("30s")
        .timezone("browser")
        .with_variable(service)
        .links(
            [
                db.DashboardLink("Signalpost")
                .type(DashboardLinkType.DASHBOARDS)
                .tags([TAG])
                .as_dropdown(True)
                .include_vars(True)
                .keep_time(True),
                db.DashboardLink("Runbooks")
                .type(DashboardLinkType.LINK)
                .url(knobs.urls.runbooks)
                .icon("doc")
                .target_blank(True),
            ]
        )
    )
