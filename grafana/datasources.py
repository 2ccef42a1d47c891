"""The datasource UIDs provisioned in ``grafana/provisioning/datasources/``; panels use these."""

from __future__ import annotations

from grafana_foundation_sdk.models.common import DataSourceRef

__all__ = [
    "ALERTMANAGER",
    "ALERT_HISTORY",
    "LOKI",
    "PROMETHEUS",
    "PROMETHEUS_LONGTERM",
    "PROMETHEUS_LONGTERM_DAILY",
    "TEMPO",
    "TYPES",
    "ref",
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


def ref(uid: str) -> DataSourceRef:
    """A reference to a provisioned datasource by its fixed UID."""
    return DataSourceRef(type_val=TYPES[uid], uid=uid)
