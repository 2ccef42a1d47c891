"""What every dashboard shares: links to the others, the service variable, runbook URLs."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.models.dashboard import (
    DashboardLinkType,
    VariableOption,
    VariableRefresh,
    VariableSort,
)

from grafana import datasources as ds
from grafana import queries as q
from prometheus.alerting import Dashboard as Uid
from prometheus.catalog import Alert
from prometheus.knobs import Knobs

__all__ = ["TAG", "Uid", "dashboard_url", "label_variable", "new_dashboard", "runbook"]

TAG = "signalpost"


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
        .current(VariableOption(text=knobs.services[0], value=knobs.services[0]))
    )
    return (
        db.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags([TAG])
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
