"""Long term: the hourly and daily roll-ups kept by the long-term Prometheus (30 days of hourly
series, a year of daily ones).
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import timeseries

from grafana import datasources as ds
from grafana import panels as p
from grafana import queries as q
from grafana.boards.common import Uid, new_dashboard
from prometheus import recording as rec
from prometheus.knobs import Knobs

__all__ = ["build"]

RANGES = {"1h": ("30d", ds.PROMETHEUS_LONGTERM), "1d": ("1y", ds.PROMETHEUS_LONGTERM_DAILY)}
"""Roll-up window → the time range its panels show and the store that keeps it."""
BY_ROUTE = f"{{{{{q.ROUTE}}}}}"


def _roll(agg: str, name: str, window: str, by: str, *matchers: str) -> str:
    # A roll-up is written once per window: reach back a whole window for the latest sample.
    selector = q.sel(*matchers)
    return f"{agg} by ({by}) (last_over_time({rec.rollup(name, window)}{selector}[{window}]))"


def _panel(
    store: str, title: str, description: str, unit: str, expr: str, legend: str = BY_ROUTE
) -> timeseries.Panel:
    return p.timeseries_panel(title, description, unit, [p.prom(expr, legend, uid=store)])


def build(knobs: Knobs) -> db.Dashboard:
    """The Long term dashboard."""
    dash = new_dashboard(
        Uid.LONGTERM,
        "Signalpost / Long term",
        "Hourly roll-ups over 30 days and daily roll-ups over a year, from the long-term store.",
        knobs,
    ).time("now-30d", "now")
    for window, (span, store) in RANGES.items():
        label = "Hourly" if window == "1h" else "Daily"
        per = "hour" if window == "1h" else "day"
        dash = dash.with_row(db.Row(f"{label} roll-ups ({span})"))
        panels = [
            _panel(
                store,
                f"Requests per {per}",
                f"Requests per {per} on each route.",
                "short",
                _roll("sum", rec.HTTP_REQUESTS, window, q.ROUTE),
            ),
            _panel(
                store,
                f"Error ratio per {per}",
                f"Share of requests answered 5xx per {per}, per route.",
                "percentunit",
                _roll("max", rec.HTTP_ERROR_RATIO, window, q.ROUTE),
            ),
            _panel(
                store,
                f"p99 latency per {per}",
                f"99th percentile request duration over each {per}, per route.",
                "s",
                _roll("max", rec.HTTP_LATENCY, window, q.ROUTE, 'quantile="0.99"'),
            ),
            _panel(
                store,
                f"Job runs finished per {per}",
                f"Runs finished per {per}, per job type and final status.",
                "short",
                _roll("sum", rec.JOB_FINISHED, window, f"{q.JOB_TYPE}, {q.JOB_STATUS}"),
                f"{{{{{q.JOB_TYPE}}}}} {{{{{q.JOB_STATUS}}}}}",
            ),
        ]
        for panel in panels:
            dash = dash.with_panel(panel.time_from(span))
    return dash
