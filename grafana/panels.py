"""Small builders on top of grafana-foundation-sdk: one call per panel, units and descriptions
required, datasources through the dashboard's datasource variables, refIds in order.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from grafana_foundation_sdk.builders import common as cb
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import logs, loki, stat, table, tempo, timeseries
from grafana_foundation_sdk.builders import prometheus as promql
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import loki as loki_model
from grafana_foundation_sdk.models import prometheus as prom_model
from grafana_foundation_sdk.models.dashboard import (
    DataTransformerConfig,
    DynamicConfigValue,
    Threshold,
    ThresholdsMode,
)

from grafana import datasources as ds

__all__ = [
    "GREEN",
    "ORANGE",
    "RED",
    "Steps",
    "Target",
    "logql",
    "logs_panel",
    "prom",
    "sql",
    "stat_panel",
    "table_panel",
    "timeseries_panel",
    "trace_link",
    "traceql",
    "traces_panel",
]

GREEN, ORANGE, RED = "green", "orange", "red"
Steps = Sequence[tuple[float | None, str]]
"""Threshold steps: ``(None, base colour)`` first, then ``(value, colour from value on)``."""

Target = cogbuilder.Builder[variants.Dataquery]
"""A query of a panel: :func:`prom`, :func:`logql`, :func:`traceql` or :func:`sql`."""


def prom(
    expr: str,
    legend: str = "__auto",
    *,
    uid: str = ds.PROMETHEUS,
    instant: bool = False,
    exemplar: bool = False,
    as_table: bool = False,
) -> promql.Dataquery:
    """A PromQL target on a provisioned Prometheus."""
    query = (
        promql.Dataquery()
        .datasource(ds.ref(uid))
        .expr(expr)
        .legend_format(legend)
        .editor_mode(prom_model.QueryEditorMode.CODE)
    )
    if instant:
        query = query.instant()
    else:
        query = query.range()
    if exemplar:
        query = query.exemplar(True)
    if as_table:
        query = query.format(prom_model.PromQueryFormat.TABLE)
    return query


def logql(expr: str, legend: str | None = None, *, instant: bool = False) -> loki.Dataquery:
    """A LogQL target on the provisioned Loki (log lines, or a metric query with ``legend``)."""
    query = (
        loki.Dataquery()
        .datasource(ds.ref(ds.LOKI))
        .expr(expr)
        .editor_mode(loki_model.QueryEditorMode.CODE)
        .query_type(loki_model.LokiQueryType.INSTANT if instant else loki_model.LokiQueryType.RANGE)
    )
    if legend is not None:
        query = query.legend_format(legend)
    return query


def traceql(query: str, limit: int = 20) -> tempo.Dataquery:
    """A TraceQL search on the provisioned Tempo."""
    return tempo.Dataquery().query_type("traceql").query(query).limit(limit)


class _SqlQuery(variants.Dataquery):
    def __init__(self, raw_sql: str, fmt: str) -> None:
        self.raw_sql = raw_sql
        self.fmt = fmt

    def to_json(self) -> dict[str, object]:
        return {
            "datasource": ds.ref(ds.ALERT_HISTORY).to_json(),
            "editorMode": "code",
            "format": self.fmt,
            "rawQuery": True,
            "rawSql": self.raw_sql,
        }


class _SqlBuilder(cogbuilder.Builder[variants.Dataquery]):
    def __init__(self, query: _SqlQuery) -> None:
        self._query = query

    def build(self) -> variants.Dataquery:
        return self._query


def sql(raw_sql: str, *, time_series: bool = False) -> Target:
    """A raw SQL target on the alert-history PostgreSQL datasource (the SDK has no builder)."""
    return _SqlBuilder(_SqlQuery(raw_sql, "time_series" if time_series else "table"))


def _round(value: float | None) -> float | None:
    # 1 - 0.999 is 0.0010000000000000009: keep the generated JSON readable.
    return None if value is None else round(value, 10)


def _thresholds(steps: Steps) -> db.ThresholdsConfig:
    return (
        db.ThresholdsConfig()
        .mode(ThresholdsMode.ABSOLUTE)
        .steps([Threshold(value=_round(value), color=color) for value, color in steps])
    )


def _with_targets(panel: Any, targets: Sequence[Target]) -> Any:
    for index, target in enumerate(targets):
        target_any: Any = target
        if hasattr(target_any, "ref_id"):
            target_any.ref_id(chr(ord("A") + index))
        panel = panel.with_target(target)
    return panel


def _common(panel: Any, title: str, description: str, unit: str, height: int, span: int) -> Any:
    if not description:
        raise ValueError(f"panel {title!r} needs a description")
    return panel.title(title).description(description).unit(unit).height(height).span(span)


def _links(panel: Any, links: Sequence[tuple[str, str]]) -> Any:
    if links:
        panel = panel.links([db.DashboardLink(title).url(url) for title, url in links])
    return panel


def timeseries_panel(
    title: str,
    description: str,
    unit: str,
    targets: Sequence[Target],
    *,
    steps: Steps = ((None, GREEN),),
    show_thresholds: bool = False,
    stacked: bool = False,
    height: int = 8,
    span: int = 12,
    min_value: float | None = None,
    max_value: float | None = None,
    links: Sequence[tuple[str, str]] = (),
    overrides: Sequence[tuple[str, Steps]] = (),
) -> timeseries.Panel:
    """A time series; ``show_thresholds`` draws the threshold steps as dashed lines."""
    panel = _common(timeseries.Panel(), title, description, unit, height, span)
    panel = panel.thresholds(_thresholds(steps)).legend(
        cb.VizLegendOptions()
        .display_mode(common.LegendDisplayMode.TABLE)
        .placement(common.LegendPlacement.BOTTOM)
        .show_legend(True)
        .calcs(["lastNotNull", "max"])
    )
    if show_thresholds:
        panel = panel.thresholds_style(
            cb.GraphThresholdsStyleConfig().mode(common.GraphThresholdsStyleMode.DASHED)
        )
    if stacked:
        panel = panel.stacking(cb.StackingConfig().mode(common.StackingMode.NORMAL))
    if min_value is not None:
        panel = panel.min(min_value)
    if max_value is not None:
        panel = panel.max(max_value)
    for name, override_steps in overrides:
        panel = panel.override_by_name(
            name,
            [DynamicConfigValue(id_val="thresholds", value=_thresholds(override_steps).build())],
        )
    return _links(_with_targets(panel, targets), links)  # type: ignore[no-any-return]


def stat_panel(
    title: str,
    description: str,
    unit: str,
    targets: Sequence[Target],
    *,
    steps: Steps = ((None, GREEN),),
    height: int = 5,
    span: int = 6,
    links: Sequence[tuple[str, str]] = (),
) -> stat.Panel:
    """A single value coloured by the threshold steps."""
    panel = _common(stat.Panel(), title, description, unit, height, span)
    panel = panel.thresholds(_thresholds(steps)).color_mode(common.BigValueColorMode.BACKGROUND)
    return _links(_with_targets(panel, targets), links)  # type: ignore[no-any-return]


def table_panel(
    title: str,
    description: str,
    unit: str,
    targets: Sequence[Target],
    *,
    transformations: Sequence[tuple[str, dict[str, Any]]] = (),
    column_links: Sequence[tuple[str, str, str]] = (),
    steps: Steps = ((None, GREEN),),
    height: int = 9,
    span: int = 24,
    links: Sequence[tuple[str, str]] = (),
) -> table.Panel:
    """A table; ``column_links`` are ``(column, link title, url)`` data links on a column."""
    panel = _common(table.Panel(), title, description, unit, height, span)
    panel = panel.thresholds(_thresholds(steps))
    for name, options in transformations:
        panel = panel.with_transformation(DataTransformerConfig(id_val=name, options=options))
    for column, link_title, url in column_links:
        link = {"title": link_title, "url": url, "targetBlank": False}
        panel = panel.override_by_name(column, [DynamicConfigValue(id_val="links", value=[link])])
    return _links(_with_targets(panel, targets), links)  # type: ignore[no-any-return]


def logs_panel(
    title: str, description: str, targets: Sequence[Target], *, height: int = 10, span: int = 24
) -> logs.Panel:
    """Log lines, newest first, with details (the Loki derived field links ``trace_id``)."""
    panel = _common(logs.Panel(), title, description, "none", height, span)
    panel = (
        panel.show_time(True)
        .enable_log_details(True)
        .wrap_log_message(True)
        .sort_order(common.LogsSortOrder.DESCENDING)
    )
    return _with_targets(panel, targets)  # type: ignore[no-any-return]


def traces_panel(
    title: str, description: str, targets: Sequence[Target], *, height: int = 10, span: int = 24
) -> table.Panel:
    """A TraceQL search result (a table of traces, each opening in Tempo)."""
    panel = _common(table.Panel(), title, description, "none", height, span)
    panel = panel.datasource(ds.ref(ds.TEMPO))
    return _with_targets(panel, targets)  # type: ignore[no-any-return]


def trace_link(value: str = "${__value.raw}") -> str:
    """A URL opening the trace whose ID is ``value`` in Explore (Tempo)."""
    pane = {
        "trace": {
            "datasource": "DATASOURCE",
            "queries": [
                {
                    "refId": "A",
                    "datasource": {"type": ds.TYPES[ds.TEMPO], "uid": "DATASOURCE"},
                    "queryType": "traceql",
                    "query": "TRACE_ID",
                }
            ],
            "range": {"from": "now-24h", "to": "now"},
        }
    }
    encoded = quote(json.dumps(pane, separators=(",", ":"), sort_keys=True), safe="")
    # Grafana fills variables into a link before opening it: the placeholders stay unencoded.
    encoded = encoded.replace("DATASOURCE", str(ds.ref(ds.TEMPO).uid))
    return "/explore?schemaVersion=1&panes=" + encoded.replace("TRACE_ID", value)
