"""The datasources provisioned in ``grafana/provisioning/datasources/``, as panels name them.

Panels never name a UID directly: they name a datasource variable of the dashboard
(``${ds_prometheus}``), whose default is the provisioned UID, so a dashboard imported into
another Grafana works after picking its own datasources. :func:`variables` gives the
variables a dashboard needs, from the references it contains.
"""

from __future__ import annotations

import re

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.models.common import DataSourceRef
from grafana_foundation_sdk.models.dashboard import VariableOption

__all__ = [
    "ALERTMANAGER",
    "ALERT_HISTORY",
    "LABELS",
    "LOKI",
    "PROMETHEUS",
    "PROMETHEUS_LONGTERM",
    "PROMETHEUS_LONGTERM_DAILY",
    "TEMPO",
    "TYPES",
    "ref",
    "uid_of",
    "variable_name",
    "variables",
]

PROMETHEUS = "prometheus"
PROMETHEUS_LONGTERM = "prometheus-longterm"
"""The hourly long-term store: hourly roll-ups for 30 days and the SLO error budgets."""
PROMETHEUS_LONGTERM_DAILY = "prometheus-longterm-daily"
"""The daily long-term store: daily roll-ups for a year."""
TEMPO = "tempo"
LOKI = "loki"
ALERTMANAGER = "alertmanager"
ALERT_HISTORY = "alert-history"

TYPES: dict[str, str] = {
    PROMETHEUS: "prometheus",
    PROMETHEUS_LONGTERM: "prometheus",
    PROMETHEUS_LONGTERM_DAILY: "prometheus",
    TEMPO: "tempo",
    LOKI: "loki",
    ALERTMANAGER: "alertmanager",
    ALERT_HISTORY: "grafana-postgresql-datasource",
}
"""Plugin type of each provisioned datasource."""


LABELS: dict[str, str] = {
    PROMETHEUS: "Prometheus",
    PROMETHEUS_LONGTERM: "Long-term (hourly)",
    PROMETHEUS_LONGTERM_DAILY: "Long-term (daily)",
    TEMPO: "Tempo",
    LOKI: "Loki",
    ALERTMANAGER: "Alertmanager",
    ALERT_HISTORY: "Alert history",
}
"""The label of each datasource variable in the dashboard's variable bar."""


def variable_name(uid: str) -> str:
    """The dashboard variable standing for the provisioned datasource ``uid``."""
    if uid not in TYPES:
        raise KeyError(f"no provisioned datasource {uid!r}")
    return "ds_" + uid.replace("-", "_")


def ref(uid: str) -> DataSourceRef:
    """A reference to the provisioned datasource ``uid`` through its dashboard variable."""
    return DataSourceRef(type_val=TYPES[uid], uid=f"${{{variable_name(uid)}}}")


def uid_of(reference: str) -> str:
    """The provisioned UID a reference (``${ds_prometheus}``) defaults to."""
    for uid in TYPES:
        if reference == f"${{{variable_name(uid)}}}":
            return uid
    raise KeyError(f"{reference!r} is not a datasource variable")


def variables(dashboard_json: str) -> list[db.DatasourceVariable]:
    """The datasource variables a dashboard's JSON refers to, in :data:`TYPES` order; each
    defaults to its provisioned UID."""
    used = set(re.findall(r"\$\{(ds_\w+)\}", dashboard_json))
    return [
        db.DatasourceVariable(variable_name(uid))
        .label(LABELS[uid])
        .type(TYPES[uid])
        .current(VariableOption(text=uid, value=uid, selected=True))
        for uid in TYPES
        if variable_name(uid) in used
    ]
