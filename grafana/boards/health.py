"""Health: check status and durations, database latency per operation, host CPU, memory and
disk with their predicted-full lines, process memory, circuit breakers.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db

from grafana import panels as p
from grafana import queries as q
from grafana.boards.breaker import with_breaker_panels
from grafana.boards.common import Uid, new_dashboard, runbook
from grafana.boards.thresholds import alert_threshold_panel
from prometheus import recording as rec
from prometheus.catalog import Alert
from prometheus.knobs import Knobs
from signalpost.health.result import Status
from signalpost.semconv import health, process

__all__ = ["build"]

DAY = 86400


def build(knobs: Knobs) -> db.Dashboard:
    """The Health dashboard."""
    alerts = knobs.alerts
    check = f"{{{{{q.CHECK_NAME}}}}} ({{{{{q.CHECK_KIND}}}}})"
    dash = new_dashboard(
        Uid.HEALTH,
        "Signalpost / Health",
        "Health checks, database latency and the host's resources.",
        knobs,
    )
    dash = dash.with_row(db.Row("Checks"))
    for status, colour, alert in (
        (Status.UNHEALTHY, p.RED, Alert.HEALTH_CHECK_FAILING),
        (Status.DEGRADED, p.ORANGE, Alert.HEALTH_CHECK_FAILING),
    ):
        selector = q.sel(f'{q.HEALTH_STATUS}="{status}"')
        dash = dash.with_panel(
            p.timeseries_panel(
                f"Checks {status}",
                f"1 while any instance of the service reports the check {status} (critical "
                f"checks make the service unready; HealthCheckFailing fires after "
                f"{alerts.health_check_failing.for_}).",
                "bool_yes_no",
                [
                    p.prom(
                        f"max by ({q.CHECK_NAME}, {q.CHECK_KIND}) "
                        f"({rec.HEALTH_CHECK_STATUS}{selector})",
                        check,
                    )
                ],
                steps=[(None, p.GREEN), (1, colour)],
                min_value=0,
                max_value=1,
                span=8,
                links=[
                    runbook(knobs, alert),
                    runbook(knobs, Alert.DATABASE_DOWN),
                    runbook(knobs, Alert.SCHEMA_INVALID),
                ],
            )
        )
    dash = dash.with_panel(
        p.stat_panel(
            "Overall status",
            "The service's overall health status (1 for the status any instance reports).",
            "none",
            [
                p.prom(
                    f"max by ({q.HEALTH_STATUS}) ({rec.HEALTH_STATUS}{q.sel()}) == 1",
                    f"{{{{{q.HEALTH_STATUS}}}}}",
                )
            ],
            steps=[(None, p.GREEN)],
            span=8,
            height=8,
        )
    )
    dash = dash.with_panel(
        p.timeseries_panel(
            "Check duration (p99)",
            "99th percentile of each check's run time, timed-out runs included.",
            "s",
            [
                p.prom(
                    f"histogram_quantile(0.99, sum by ({q.CHECK_NAME}, le) "
                    f"(rate({q.bucket(health.CHECK_DURATION)}{q.sel()}[{q.RATE}])))",
                    f"{{{{{q.CHECK_NAME}}}}}",
                )
            ],
        )
    )
    dash = dash.with_panel(
        p.timeseries_panel(
            "Time since last success",
            "Seconds since each check's last healthy or degraded result.",
            "s",
            [
                p.prom(
                    f"time() - max by ({q.CHECK_NAME}) "
                    f"({q.name(health.CHECK_LAST_SUCCESS)}{q.sel()})",
                    f"{{{{{q.CHECK_NAME}}}}}",
                )
            ],
        )
    )
    slow = alerts.database_slow
    dash = dash.with_row(db.Row("Database"))
    dash = dash.with_panel(
        alert_threshold_panel(
            knobs,
            Alert.DATABASE_SLOW,
            f"Database latency per operation (p{round(slow.quantile * 100)})",
            f"Database operation duration per operation (SELECT, INSERT, ...). Red from "
            f"DatabaseSlow's threshold ({slow.threshold_seconds:g} s).",
            "s",
            [p.prom(_db_latency(slow.quantile), f"{{{{{q.DB_OPERATION}}}}}")],
            threshold=slow.threshold_seconds,
        )
    )
    dash = dash.with_panel(
        p.timeseries_panel(
            "Database operations per second",
            "Statements executed per second, per operation.",
            "ops",
            [
                p.prom(
                    f"sum by ({q.DB_OPERATION}) ({rec.DB_OPERATIONS}{q.sel()})",
                    f"{{{{{q.DB_OPERATION}}}}}",
                )
            ],
        )
    )
    disk = alerts.disk_will_fill
    memory = alerts.memory_high
    dash = dash.with_row(db.Row("Host and process"))
    dash = dash.with_panel(
        p.timeseries_panel(
            "Host CPU",
            "Host CPU utilisation, all CPUs together (highest instance of the service).",
            "percentunit",
            [p.prom(f"max({q.name(health.CPU_UTILIZATION)}{q.sel()})", "cpu")],
            min_value=0,
            max_value=1,
            span=8,
        )
    )
    mem = f"max({q.name(health.MEMORY_UTILIZATION)}{q.sel()})"
    dash = dash.with_panel(
        alert_threshold_panel(
            knobs,
            Alert.MEMORY_HIGH,
            "Host memory",
            f"Host memory in use and its linear prediction 24 hours ahead (from the last "
            f"{disk.history}). Red from MemoryHigh's threshold ({memory.threshold:g}).",
            "percentunit",
            [
                p.prom(mem, "in use"),
                p.prom(
                    f"max(predict_linear({q.name(health.MEMORY_UTILIZATION)}{q.sel()}"
                    f"[{disk.history}], {DAY}))",
                    "predicted in 24h",
                ),
            ],
            threshold=memory.threshold,
            min_value=0,
            max_value=1,
            span=8,
        )
    )
    fs = f"{q.name(health.FILESYSTEM_UTILIZATION)}{q.sel()}"
    dash = dash.with_panel(
        p.timeseries_panel(
            "Disk",
            f"Used share of each file system and its linear prediction 24 hours ahead (from the "
            f"last {disk.history}); DiskWillFillIn24h fires when the prediction reaches 1 on a "
            f"disk over {disk.min_utilization:g} full.",
            "percentunit",
            [
                p.prom(f"max by ({q.MOUNTPOINT}) ({fs})", f"{{{{{q.MOUNTPOINT}}}}}"),
                p.prom(
                    f"max by ({q.MOUNTPOINT}) (predict_linear({fs}[{disk.history}], {DAY}))",
                    f"{{{{{q.MOUNTPOINT}}}}} predicted in 24h",
                ),
            ],
            steps=[(None, p.GREEN), (disk.min_utilization, p.ORANGE), (1, p.RED)],
            show_thresholds=True,
            min_value=0,
            span=8,
            links=[runbook(knobs, Alert.DISK_WILL_FILL_IN_24H)],
        )
    )
    for title, description, unit, metric in (
        (
            "Process memory",
            "Resident set size of the service's processes, per instance.",
            "bytes",
            process.RESIDENT_MEMORY,
        ),
        (
            "Open file descriptors",
            "File descriptors open in the service's processes, per instance.",
            "short",
            process.OPEN_FDS,
        ),
    ):
        query = p.prom(f"sum by (instance) ({metric}{q.sel()})", "{{instance}}")
        dash = dash.with_panel(p.timeseries_panel(title, description, unit, [query]))
    return with_breaker_panels(dash, knobs)


def _db_latency(quantile: float) -> str:
    selector = q.sel(f'quantile="{quantile:g}"')
    return f"max by ({q.DB_OPERATION}) ({rec.DB_LATENCY}{selector})"
