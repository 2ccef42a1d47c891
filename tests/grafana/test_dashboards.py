"""The committed dashboards: fresh, complete, and every reference resolved without Grafana.

Checked here: the JSON is what the generator writes; every panel has a description and a unit;
every datasource a panel or target names is provisioned with that type; every metric a PromQL
query selects is one signalpost emits, one a recording rule defines, or one of the few series
of the monitoring stack itself, and it exists on the Prometheus the query's datasource points
at (roll-ups and error budgets live in the long-term stores); links between dashboards resolve.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from grafana import datasources as ds
from grafana.generate import DASHBOARDS_DIR, render_all
from prometheus.alerting import Dashboard as Uid
from prometheus.catalog import Alert
from prometheus.knobs import load_knobs
from tests.grafana.dashboards import dashboards, panels, queries, substitute
from tests.grafana.promql_names import MAIN, metric_names, series_by_host

GRAFANA = Path(DASHBOARDS_DIR).parent
PROVISIONED = yaml.safe_load(
    (GRAFANA / "provisioning" / "datasources" / "datasources.yaml").read_text()
)["datasources"]
VALUES = {"service": "svc", "http_route": ".*", "job_type": ".*", "instance": ".*"}


def test_committed_dashboards_are_fresh() -> None:
    rendered = render_all(load_knobs())
    on_disk = {path.name: path.read_text() for path in Path(DASHBOARDS_DIR).glob("*.json")}
    assert set(on_disk) == set(rendered)
    stale = [name for name, text in rendered.items() if on_disk[name] != text]
    assert stale == [], "stale dashboards: run python -m grafana.generate"


def test_dashboard_uids_are_the_fixed_ones() -> None:
    fixed = {value for key, value in vars(Uid).items() if key.isupper()}
    assert set(dashboards()) == fixed
    for model in dashboards().values():
        assert model["schemaVersion"] == 42
        assert model["editable"] is False


def _panels() -> list[tuple[str, dict[str, Any]]]:
    return [
        (uid, panel)
        for uid, model in dashboards().items()
        for panel in panels(model)
        if panel["type"] != "row"
    ]


@pytest.mark.parametrize(
    "uid, panel", _panels(), ids=lambda v: v if isinstance(v, str) else v["title"]
)
def test_every_panel_has_a_description_a_unit_and_queries(uid: str, panel: dict[str, Any]) -> None:
    assert len(panel.get("description", "")) > 20
    assert panel["fieldConfig"]["defaults"].get("unit")
    assert panel.get("targets")


def test_every_datasource_is_provisioned_with_its_type() -> None:
    provisioned = {source["uid"]: source["type"] for source in PROVISIONED}
    assert provisioned == ds.TYPES
    used = set()
    for model in dashboards().values():
        text = model
        for panel in panels(text):
            refs = [panel.get("datasource")] + [
                t.get("datasource") for t in panel.get("targets", [])
            ]
            for ref in refs:
                if ref is not None:
                    uid = ds.uid_of(ref["uid"])
                    assert provisioned[uid] == ref["type"], (panel["title"], ref)
                    used.add(uid)
        for variable in model["templating"]["list"]:
            if variable.get("datasource"):
                assert ds.uid_of(variable["datasource"]["uid"]) in provisioned
            if variable["type"] == "datasource":
                assert variable["current"]["value"] in provisioned
                used.add(variable["current"]["value"])
    assert used == set(provisioned)


def test_provisioned_correlations_point_at_provisioned_uids() -> None:
    by_uid = {source["uid"]: source for source in PROVISIONED}
    prom = by_uid[ds.PROMETHEUS]["jsonData"]["exemplarTraceIdDestinations"]
    assert prom == [{"name": "trace_id", "datasourceUid": ds.TEMPO}]
    tempo = by_uid[ds.TEMPO]["jsonData"]
    assert tempo["tracesToLogsV2"]["datasourceUid"] == ds.LOKI
    assert tempo["tracesToMetrics"]["datasourceUid"] == ds.PROMETHEUS
    (derived,) = by_uid[ds.LOKI]["jsonData"]["derivedFields"]
    assert derived["datasourceUid"] == ds.TEMPO and derived["matcherRegex"] == "trace_id"
    # $$ is a literal $ in provisioning files: Grafana must see ${__value.raw}, not an env var.
    assert derived["url"] == "$${__value.raw}"


def _host(uid: str) -> str:
    (source,) = [s for s in PROVISIONED if s["uid"] == uid]
    return str(urlsplit(source["url"]).netloc)


PROMQL = queries("prometheus")


@pytest.mark.parametrize(
    "query", PROMQL, ids=lambda query: f"{query.where} {query.target['refId']}"
)
def test_every_metric_exists_where_the_query_looks(query: Any) -> None:
    held = series_by_host()
    host = _host(query.datasource)
    names = metric_names(substitute(query.text, VALUES))
    assert names, query.text
    assert names <= held[host], f"{query.where}: {sorted(names - held[host])} not on {host}"


def test_tempo_metrics_queries_name_known_metrics() -> None:
    (tempo,) = [s for s in PROVISIONED if s["uid"] == ds.TEMPO]
    held = series_by_host()[MAIN]
    for entry in tempo["jsonData"]["tracesToMetrics"]["queries"]:
        expr = entry["query"].replace("$$__tags", "")
        assert metric_names(expr) <= held, entry


def test_the_name_extractor_finds_names_not_functions_or_labels() -> None:
    expr = (
        'histogram_quantile(0.99, sum by (le, a_b) (rate(x_bucket{a="b:c", d=~"e"}[5m]))) '
        "/ on (a) group_left (b) y:z:rate5m > bool 0 or vector(1) and time() - last_ts"
    )
    assert metric_names(expr) == {"x_bucket", "y:z:rate5m", "last_ts"}


def test_links_between_dashboards_resolve() -> None:
    uids = set(dashboards())
    targets = set()
    for model in dashboards().values():
        text = str(model)
        targets |= set(re.findall(r"/d/([a-z-]+)", text))
    assert targets and targets <= uids


def test_runbook_links_name_catalogued_alerts() -> None:
    runbooks = load_knobs().urls.runbooks.rstrip("/")
    linked = set()
    for model in dashboards().values():
        linked |= set(re.findall(re.escape(runbooks) + r"/(\w+)\.md", str(model)))
    assert linked and linked <= {str(alert) for alert in Alert}
    runbook_dir = GRAFANA.parent / "docs" / "runbooks"
    assert all((runbook_dir / f"{name}.md").is_file() for name in linked)


def test_trace_links_open_tempo_in_explore() -> None:
    links = re.findall(r"/explore\?schemaVersion=1&panes=([^'\"\s]+)", str(dashboards()))
    assert links
    for encoded in links:
        # Grafana fills in the dashboard's variables (the Tempo datasource's default here).
        filled = unquote(encoded).replace("${__value.raw}", "4bf92f3577b34da6")
        pane = json.loads(filled.replace(str(ds.ref(ds.TEMPO).uid), ds.TEMPO))
        (query,) = pane["trace"]["queries"]
        assert pane["trace"]["datasource"] == ds.TEMPO
        assert query["datasource"] == {"type": ds.TYPES[ds.TEMPO], "uid": ds.TEMPO}
        assert query["query"] == "4bf92f3577b34da6"
