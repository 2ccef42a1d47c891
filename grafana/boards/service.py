"""Service: RED per route, active requests, SLO budget and burn rate, top failing routes."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db

from grafana import datasources as ds
from grafana import panels as p
from grafana import queries as q
from grafana.boards.common import (
    Uid,
    dashboard_url,
    instance_variable,
    label_variable,
    new_dashboard,
    runbook,
)
from grafana.boards.thresholds import alert_threshold_panel
from prometheus import recording as rec
from prometheus.catalog import Alert, Severity
from prometheus.knobs import Knobs
from prometheus.recording_rules import SERVER_ERROR
from prometheus.slo import BURN_TIERS
from signalpost.semconv import http

__all__ = ["build"]

ROUTES = q.sel(f'{q.ROUTE}=~"$http_route"')
RAW_ROUTES = q.sel(f'{q.ROUTE}=~"$http_route"', q.INSTANCES)
BY_INSTANCE = f"{{{{{q.INSTANCE}}}}}"
# The page tiers: long window and burn factor (1h at 14.4, 6h at 6).
PAGE_TIERS = sorted(
    (
        (long, factor)
        for _, severity, tiers in BURN_TIERS
        if severity == Severity.CRITICAL
        for long, _, factor in tiers
    ),
    key=lambda tier: tier[1],
)


def _quantile_label(quantile: float) -> str:
    return f'quantile="{quantile:g}"'


def _slo(name: str) -> str:
    return q.sel(f'slo="{name}"')


def build(knobs: Knobs) -> db.Dashboard:
    """The Service dashboard."""
    latency = knobs.alerts.high_latency
    objectives = knobs.slos.objectives
    availability = [o for o in objectives if o.kind == "http_availability"]
    error_budget = 1 - availability[0].target if availability else 0.001
    (slow_window, slow_factor), (fast_window, fast_factor) = PAGE_TIERS[0], PAGE_TIERS[-1]
    dash = new_dashboard(
        Uid.SERVICE,
        "Signalpost / Service",
        "Requests, errors and latency per route, and the SLOs' error budgets.",
        knobs,
    ).with_variable(label_variable("http_route", rec.HTTP_REQUESTS))
    dash = dash.with_variable(instance_variable("up"))
    dash = dash.with_row(db.Row("RED per route"))
    dash = dash.with_panel(
        p.timeseries_panel(
            "Request rate per route",
            "Requests per second on each route template (5-minute rate, recording rule).",
            "reqps",
            [p.prom(f"sum by ({q.ROUTE}) ({rec.HTTP_REQUESTS}{ROUTES})", f"{{{{{q.ROUTE}}}}}")],
            span=8,
        )
    )
    dash = dash.with_panel(
        p.timeseries_panel(
            "Error ratio per route",
            "Share of requests answered with a 5xx status. Orange from the availability SLO's "
            "error budget, red from the fast-burn alert's rate.",
            "percentunit",
            [p.prom(f"max by ({q.ROUTE}) ({rec.HTTP_ERROR_RATIO}{ROUTES})", f"{{{{{q.ROUTE}}}}}")],
            steps=[(None, p.GREEN), (error_budget, p.ORANGE), (fast_factor * error_budget, p.RED)],
            show_thresholds=True,
            span=8,
            links=[runbook(knobs, Alert.ERROR_BUDGET_BURN_FAST), runbook(knobs, Alert.ERROR_SPIKE)],
        )
    )
    dash = dash.with_panel(
        p.timeseries_panel(
            "Active requests",
            "Requests in flight, by method (the selected instances summed).",
            "short",
            [
                p.prom(
                    f"sum by ({q.METHOD}) ({q.name(http.ACTIVE_REQUESTS)}{q.sel(q.INSTANCES)})",
                    f"{{{{{q.METHOD}}}}}",
                )
            ],
            span=8,
        )
    )
    route = f'{q.ROUTE}=~"$http_route"'
    quantiles = [
        p.prom(
            f"max by ({q.ROUTE}) ({rec.HTTP_LATENCY}{q.sel(route, _quantile_label(quantile))})",
            f"{{{{{q.ROUTE}}}}} p{round(quantile * 100)}",
        )
        for quantile in rec.QUANTILES
    ]
    dash = dash.with_panel(
        alert_threshold_panel(
            knobs,
            Alert.HIGH_LATENCY,
            "Latency per route (p50, p90, p99)",
            f"Request duration quantiles per route (recording rule). Red from the HighLatency "
            f"threshold ({latency.threshold_seconds:g} s at p{round(latency.quantile * 100)}).",
            "s",
            quantiles,
            threshold=latency.threshold_seconds,
        )
    )
    raw = f"{q.bucket(http.REQUEST_DURATION)}{RAW_ROUTES}"
    dash = dash.with_panel(
        p.timeseries_panel(
            "Latency with exemplars",
            "p99 request duration of the selected routes and instances from the raw histogram; "
            "the dots are exemplars, each opening its request's trace in Tempo.",
            "s",
            [
                p.prom(
                    f"histogram_quantile({latency.quantile:g}, sum by (le) "
                    f"(rate({raw}[{q.RATE}])))",
                    f"p{round(latency.quantile * 100)}",
                    exemplar=True,
                )
            ],
            steps=[(None, p.GREEN), (latency.threshold_seconds, p.RED)],
            show_thresholds=True,
        )
    )
    dash = _instances(dash, knobs)
    dash = dash.with_row(db.Row("SLOs"))
    dash = dash.with_panel(
        p.stat_panel(
            "Error budget remaining",
            f"Share of each SLO's error budget left over the {knobs.slos.window} window "
            "(1 = untouched, 0 = spent, negative = overspent); computed hourly by the long-term "
            "store, which holds the whole window.",
            "percentunit",
            [
                p.prom(
                    f"min by (slo) (last_over_time({rec.SLO_ERROR_BUDGET_REMAINING}{q.sel()}[1h]))",
                    "{{slo}}",
                    uid=ds.PROMETHEUS_LONGTERM,
                )
            ],
            steps=[(None, p.RED), (0, p.ORANGE), (0.25, p.GREEN)],
            span=8,
            height=8,
        )
    )
    burn = [
        p.prom(
            f"max({rec.slo_error_ratio(window)}{_slo(o.name)}) / {1 - o.target:.10g}",
            f"{o.name} {window}",
        )
        for o in objectives
        for window, _ in PAGE_TIERS
    ]
    dash = dash.with_panel(
        p.timeseries_panel(
            "Burn rate per SLO",
            "How fast each SLO spends its error budget (1 = exactly the budget over the window). "
            f"Orange from {slow_factor:g} (the {slow_window} page tier), red from {fast_factor:g} "
            f"(the {fast_window} page tier).",
            "x",
            burn,
            steps=[(None, p.GREEN), (slow_factor, p.ORANGE), (fast_factor, p.RED)],
            show_thresholds=True,
            span=16,
            height=8,
            links=[
                runbook(knobs, Alert.ERROR_BUDGET_BURN_FAST),
                runbook(knobs, Alert.ERROR_BUDGET_BURN_SLOW),
            ],
        )
    )
    dash = dash.with_panel(
        p.table_panel(
            "Top failing routes",
            "The ten routes with the most 5xx responses per second now; open the Errors dashboard "
            "for the exception types behind them.",
            "reqps",
            [
                p.prom(
                    f"topk(10, sum by ({q.ROUTE}) ({rec.HTTP_ERRORS}{q.sel()}) > 0)",
                    instant=True,
                    as_table=True,
                )
            ],
            transformations=[("organize", {"excludeByName": {"Time": True}})],
            links=[("Errors dashboard", dashboard_url(Uid.ERRORS))],
        )
    )
    return dash


def _instances(dash: db.Dashboard, knobs: Knobs) -> db.Dashboard:
    """One replica down or failing alone: the per-route panels above sum over instances."""
    requests = q.count(http.REQUEST_DURATION)

    def rate(*matchers: str) -> str:
        return f"sum by ({q.INSTANCE}) (rate({requests}{q.sel(q.INSTANCES, *matchers)}[{q.RATE}]))"

    dash = dash.with_row(db.Row("Instances"))
    dash = dash.with_panel(
        p.timeseries_panel(
            "Targets up",
            "1 while Prometheus scrapes the instance, 0 when the scrape fails, per scrape job "
            "and instance: one replica down shows here while the others keep the service up.",
            "short",
            [p.prom(f"max by (job, {q.INSTANCE}) (up{q.sel(q.INSTANCES)})",
                    f"{{{{job}}}} {BY_INSTANCE}")],
            steps=[(None, p.RED), (1, p.GREEN)],
            min_value=0,
            max_value=1,
            span=8,
            links=[runbook(knobs, Alert.SERVICE_DOWN)],
        )
    )
    dash = dash.with_panel(
        p.timeseries_panel(
            "Requests per instance",
            "Requests per second each instance answers (raw histogram count).",
            "reqps",
            [p.prom(rate(), BY_INSTANCE)],
            span=8,
        )
    )
    return dash.with_panel(
        p.timeseries_panel(
            "5xx share per instance",
            "Share of each instance's requests answered with a 5xx status: a replica failing "
            "alone stands out here.",
            "percentunit",
            [p.prom(f"{rate(SERVER_ERROR)} / {rate()}", BY_INSTANCE)],
            span=8,
        )
    )
