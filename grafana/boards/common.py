"""What every dashboard shares: links to the others, the service variable, runbook URLs."""

from __future__ import annotations

from collections.abc import Sequence

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import timeseries
from grafana_foundation_sdk.models.dashboard import (
    DashboardLinkType,
    VariableRefresh,
    VariableSort,
)

from grafana import datasources as ds
from grafana import panels as p
from grafana import queries as q
from prometheus.alerting import Dashboard as Uid
from prometheus.catalog import Alert
from prometheus.knobs import Knobs

__all__ = [
    "GENERATED_TAG",
    "TAG",
    "Uid",
    "alert_threshold_panel",
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


def alert_threshold_panel(
    knobs: Knobs,
    alert: Alert,
    title: str,
    description: str,
    unit: str,
    targets: Sequence[p.Target],
    *,
    threshold: float,
    bad_below: bool = False,
    min_value: float | None = None,
    max_value: float | None = None,
    span: int = 12,
) -> timeseries.Panel:
    """A time series against the threshold of ``alert``, with a link to its runbook.

    The threshold is drawn as a dashed line; values above it are red (below it with
    ``bad_below``: a share of free space, a hit ratio).
    """
    base, beyond = (p.RED, p.GREEN) if bad_below else (p.GREEN, p.RED)
    return p.timeseries_panel(
        title,
        description,
        unit,
        targets,
        steps=[(None, base), (threshold, beyond)],
        show_thresholds=True,
        min_value=min_value,
        max_value=max_value,
        span=span,
        links=[runbook(knobs, alert)],
    )


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
