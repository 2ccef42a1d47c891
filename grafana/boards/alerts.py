"""Alerts: what fires now (Prometheus and Alertmanager) and the history Alertmanager's webhook
receiver keeps in PostgreSQL (``alert_history``): per day, time to resolve, the latest 50.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db

from alertmanager.recovery.metrics import DECISIONS_TOTAL, IN_FLIGHT
from grafana import datasources as ds
from grafana import panels as p
from grafana import queries as q
from grafana.boards.common import Uid, new_dashboard
from prometheus.knobs import Knobs

__all__ = ["ALERTS_PER_DAY", "LATEST", "RECOVERY_ACTIONS", "TIME_TO_RESOLVE", "build"]

# Grafana's alerting view names the Alertmanager datasource by UID: the variable's value.
ALERTMANAGER = ds.ref(ds.ALERTMANAGER).uid

# One row per notification received: an alert is one (fingerprint, starts_at) pair, firing until
# a resolved row for the pair arrives.
ALERTS_PER_DAY = """\
SELECT date_trunc('day', starts_at) AS time,
       alertname || ' (' || severity || ')' AS metric,
       count(DISTINCT (fingerprint, starts_at)) AS value
FROM alert_history
WHERE $__timeFilter(starts_at) AND service = '$service'
GROUP BY 1, 2
ORDER BY 1, 2"""

TIME_TO_RESOLVE = """\
SELECT alertname, severity,
       count(*) AS resolved,
       avg(extract(epoch FROM ends_at - starts_at)) AS mean_seconds,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM ends_at - starts_at))
         AS p90_seconds
FROM (SELECT DISTINCT fingerprint, starts_at, ends_at, alertname, severity
      FROM alert_history
      WHERE status = 'resolved' AND ends_at IS NOT NULL
        AND $__timeFilter(starts_at) AND service = '$service') AS resolved_alerts
GROUP BY alertname, severity
ORDER BY mean_seconds DESC"""

LATEST = """\
SELECT DISTINCT ON (starts_at, fingerprint)
       starts_at, ends_at, status, alertname, severity,
       annotations ->> 'summary' AS summary,
       annotations ->> 'runbook_url' AS runbook_url,
       annotations ->> 'dashboard_url' AS dashboard_url,
       receiver
FROM alert_history
WHERE $__timeFilter(starts_at) AND service = '$service'
ORDER BY starts_at DESC, fingerprint, received_at DESC
LIMIT 50"""

# Every decision of the recovery runner (alertmanager/recovery), with the alert it was about.
RECOVERY_ACTIONS = """\
SELECT at AS time, alertname, target, procedure, decision, detail,
       seconds, starts_at AS alert_started
FROM recovery_actions
WHERE $__timeFilter(at) AND service = '$service'
ORDER BY at DESC, id DESC
LIMIT 100"""


def build(knobs: Knobs) -> db.Dashboard:
    """The Alerts dashboard."""
    dash = new_dashboard(
        Uid.ALERTS,
        "Signalpost / Alerts",
        "Alerts firing now and the alert history kept in PostgreSQL.",
        knobs,
    )
    dash = dash.with_row(db.Row("Now"))
    dash = dash.with_panel(
        p.stat_panel(
            "Active in Alertmanager",
            "Alerts Alertmanager holds as active (not silenced or inhibited), from its own "
            "metrics; open Grafana's alerting view of the Alertmanager datasource for groups and "
            "silences.",
            "short",
            [p.prom(f'sum({q.ALERTMANAGER_ALERTS}{{state="active"}})', "active")],
            steps=[(None, p.GREEN), (1, p.RED)],
            height=8,
            links=[("Alert groups", f"/alerting/groups?alertmanager={ALERTMANAGER}")],
        )
    )
    dash = dash.with_panel(
        p.table_panel(
            "Firing now",
            "Alerts the rules fire for this service now (Prometheus's ALERTS series), by name "
            "and severity.",
            "none",
            [p.prom(q.ALERTS + q.sel('alertstate="firing"'), instant=True, as_table=True)],
            transformations=[
                ("organize", {"excludeByName": {"Time": True, "Value": True, "__name__": True}})
            ],
            span=18,
            height=8,
        )
    )
    dash = dash.with_row(db.Row("History"))
    dash = dash.with_panel(
        p.timeseries_panel(
            "Alerts per day by name and severity",
            "Distinct alerts started per day, from the alert history table.",
            "short",
            [p.sql(ALERTS_PER_DAY, time_series=True)],
            stacked=True,
        )
    )
    dash = dash.with_panel(
        p.table_panel(
            "Time to resolve",
            "Mean and 90th percentile time from start to resolution per alert and severity, "
            "over alerts resolved in the time range.",
            "s",
            [p.sql(TIME_TO_RESOLVE)],
            span=12,
        )
    )
    dash = dash.with_panel(
        p.table_panel(
            "Latest 50 alerts",
            "The latest 50 alerts (latest notification of each), with links to their runbook "
            "and dashboard.",
            "none",
            [p.sql(LATEST)],
            column_links=[
                ("runbook_url", "Open the runbook", "${__value.raw}"),
                ("dashboard_url", "Open the dashboard", "${__value.raw}"),
            ],
            height=12,
        )
    )
    dash = dash.with_panel(
        p.table_panel(
            "Recovery decisions",
            "What the recovery runner decided for each alert with a procedure: acted, dry run, "
            "skipped by a guard rail (allow-list, precondition, rate limit), verified (seconds: "
            "from the alert's start to its resolution), failed or escalated (docs/recovery.md).",
            "none",
            [p.sql(RECOVERY_ACTIONS)],
            height=10,
        )
    )
    dash = dash.with_panel(
        p.timeseries_panel(
            "Recovery runner",
            "The runner's own metrics (its /metrics, the recovery-runner monitoring target; all "
            "services): decisions per procedure and outcome in each interval, and actions "
            "running or being verified.",
            "short",
            [
                p.prom(f"sum by (procedure, decision) (increase({DECISIONS_TOTAL}[{q.RATE}]))",
                       "{{procedure}} {{decision}}"),
                p.prom(f"sum by (procedure) ({IN_FLIGHT})", "{{procedure}} in flight"),
            ],
            span=24,
        )
    )
    return dash
