"""PostgreSQL: what postgres_exporter reads from the server's own statistics (connections
against max_connections, the oldest transaction, lock waits, replication lag, deadlocks, cache
hit ratio).
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db

from grafana import panels as p
from grafana import queries as q
from grafana.boards.common import Uid, instance_variable, new_dashboard, runbook
from grafana.boards.thresholds import alert_threshold_panel
from prometheus import exporter_metrics as x
from prometheus.catalog import Alert
from prometheus.knobs import Knobs

__all__ = ["build"]


def _sel() -> str:
    return q.sel(f'job="{x.POSTGRES_JOB}"', q.INSTANCES)


def build(knobs: Knobs) -> db.Dashboard:
    """The PostgreSQL dashboard (postgres_exporter)."""
    e = knobs.exporters
    s, i = _sel(), q.INSTANCE
    db_legend = f"{{{{{i}}}}} {{{{datname}}}}"
    per_db = f"{i}, datname"
    hit = f"sum by ({per_db}) (rate({x.PG_BLKS_HIT}{s}[{q.RATE}]))"
    read = f"sum by ({per_db}) (rate({x.PG_BLKS_READ}{s}[{q.RATE}]))"
    dash = new_dashboard(
        Uid.POSTGRES,
        "Signalpost / PostgreSQL",
        "postgres_exporter: connections, transactions, locks, replication and cache of the "
        "service's database servers.",
        knobs,
    ).with_variable(instance_variable(x.PG_UP))
    panels = [
        p.stat_panel(
            "Exporter connected",
            "1 when postgres_exporter could log in to PostgreSQL at its last scrape.",
            "bool_yes_no",
            [p.prom(f"min({x.PG_UP}{s})", instant=True)],
            steps=[(None, p.RED), (1, p.GREEN)],
            links=[runbook(knobs, Alert.EXPORTER_DOWN)],
        ),
        p.stat_panel(
            "Connections used",
            "Backends over max_connections, on the busiest server.",
            "percentunit",
            [
                p.prom(
                    f"max(sum by ({i}) ({x.PG_CONNECTIONS}{s}) "
                    f"/ max by ({i}) ({x.PG_MAX_CONNECTIONS}{s}))",
                    instant=True,
                )
            ],
            steps=[(None, p.GREEN), (e.connections_near_limit.threshold, p.RED)],
            links=[runbook(knobs, Alert.POSTGRES_CONNECTIONS_NEAR_LIMIT)],
        ),
        p.timeseries_panel(
            "Connections by state",
            "Backends per state (idle ones hold a connection too) and the max_connections limit.",
            "short",
            [
                p.prom(
                    f"sum by ({i}, state) ({x.PG_CONNECTIONS}{s})", f"{{{{{i}}}}} {{{{state}}}}"
                ),
                p.prom(f"max by ({i}) ({x.PG_MAX_CONNECTIONS}{s})", f"{{{{{i}}}}} max"),
            ],
            min_value=0,
        ),
        alert_threshold_panel(
            knobs,
            Alert.POSTGRES_LONG_TRANSACTION,
            "Oldest transaction",
            "Age of the oldest open transaction per database and state (idle in transaction: "
            "the app forgot to commit).",
            "s",
            [
                p.prom(
                    f"max by ({per_db}, state) ({x.PG_MAX_TX_DURATION}{s})",
                    f"{{{{{i}}}}} {{{{datname}}}} {{{{state}}}}",
                )
            ],
            threshold=e.long_transaction.max_seconds,
            min_value=0,
        ),
        p.timeseries_panel(
            "Lock requests waiting",
            "Lock requests not granted yet (pg_locks), from the custom query.",
            "short",
            [p.prom(f"max by ({i}) ({x.PG_LOCKS_WAITING}{s})", f"{{{{{i}}}}}")],
            steps=[(None, p.GREEN), (e.locks_waiting.min_waiting, p.ORANGE)],
            min_value=0,
            links=[runbook(knobs, Alert.POSTGRES_LOCKS_WAITING)],
        ),
        alert_threshold_panel(
            knobs,
            Alert.POSTGRES_REPLICATION_LAG,
            "Replication lag",
            "Seconds of the primary's changes a replica has not replayed (0 on a primary).",
            "s",
            [p.prom(f"max by ({i}) ({x.PG_REPLICATION_LAG}{s})", f"{{{{{i}}}}}")],
            threshold=e.replication_lag.max_seconds,
            min_value=0,
        ),
        p.timeseries_panel(
            "Deadlocks",
            "Deadlocks PostgreSQL detected (and broke by aborting a transaction), per database.",
            "short",
            [p.prom(f"sum by ({per_db}) (increase({x.PG_DEADLOCKS}{s}[{q.RATE}]))", db_legend)],
            min_value=0,
            links=[runbook(knobs, Alert.POSTGRES_DEADLOCKS)],
        ),
        alert_threshold_panel(
            knobs,
            Alert.POSTGRES_CACHE_HIT_RATIO_LOW,
            "Cache hit ratio",
            "Share of block reads served from shared buffers, per database.",
            "percentunit",
            [p.prom(f"{hit} / ({hit} + {read})", db_legend)],
            threshold=e.cache_hit_ratio_low.threshold,
            bad_below=True,
            max_value=1,
        ),
    ]
    for panel in panels:
        dash = dash.with_panel(panel)
    return dash
