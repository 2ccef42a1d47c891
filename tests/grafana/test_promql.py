"""Every PromQL expression of every dashboard, parsed and evaluated by a real Prometheus.

The Prometheus (Debian's 2.42) loads the generated rules and scrapes every metric signalpost
defines each second, so recording rules, SLO series and roll-ups exist when the queries run;
Grafana's variables are filled in as Grafana would.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from alertmanager.recovery import metrics as recovery_metrics
from grafana import queries as q
from prometheus.alerting import Dashboard as Uid
from prometheus.knobs import load_knobs
from prometheus.recording import HTTP_REQUESTS, SLO_ERROR_BUDGET_REMAINING, rollup
from tests.grafana.dashboards import Query, dashboards, queries, substitute
from tests.grafana.prometheus_server import TRACE_ID, Prometheus, running_prometheus

pytestmark = pytest.mark.slow

SERVICE = load_knobs().services[0]
VALUES = {"service": SERVICE, "http_route": ".*", "job_type": ".*", "instance": ".*"}
# The exporter dashboards read node_exporter and postgres_exporter series: the live exporter
# test (tests/prometheus/test_exporters_live.py) evaluates them against the real exporters.
EXPORTER_BOARDS = frozenset({Uid.HOST, Uid.POSTGRES})
PROMQL = [query for query in queries("prometheus") if query.dashboard not in EXPORTER_BOARDS]
# Series only a part of the stack that does not run here writes: these queries must evaluate
# without error, and return nothing.
NO_DATA_HERE = (q.ALERTMANAGER_ALERTS, *recovery_metrics.SERIES)


@pytest.fixture(scope="module")
def prometheus() -> Iterator[Prometheus]:
    with running_prometheus(SERVICE) as server:
        ready = [
            f'{HTTP_REQUESTS}{{service="{SERVICE}"}}',
            f'{SLO_ERROR_BUDGET_REMAINING}{{service="{SERVICE}"}}',
            rollup(HTTP_REQUESTS, "1d"),
        ]
        deadline = time.monotonic() + 120
        while not all(server.has_data(expr) for expr in ready):
            if time.monotonic() > deadline:
                raise AssertionError(f"recording rules produced no data in 120 s: {ready}")
            time.sleep(0.5)
        # Rates over a minute want a few scrapes; alerts with `for` 0 fire on the next round.
        time.sleep(3)
        yield server


def test_there_are_queries_on_every_prometheus_dashboard() -> None:
    dashboards = {query.dashboard for query in PROMQL}
    assert len(PROMQL) >= 40
    assert dashboards >= {"signalpost-service", "signalpost-jobs", "signalpost-health"}


@pytest.mark.parametrize(
    "query", PROMQL, ids=lambda query: f"{query.where} {query.target['refId']}"
)
def test_query_evaluates_with_data(prometheus: Prometheus, query: Query) -> None:
    expr = substitute(query.text, VALUES)
    answer = prometheus.query(expr)
    assert answer["status"] == "success", f"{query.where}: {expr}: {answer.get('error')}"
    result = answer["data"]["result"]
    if any(name in expr for name in NO_DATA_HERE):
        assert result == []
    else:
        assert result, f"{query.where}: no data for {expr}"
    if not query.target.get("instant"):
        # What a time series panel sends: a range query, here over the last minute.
        now = time.time()
        answer = prometheus.get(
            "/api/v1/query_range", query=expr, start=str(now - 60), end=str(now), step="5"
        )
        assert answer["status"] == "success", f"{query.where}: {expr}: {answer.get('error')}"


def test_exemplars_carry_the_trace_id(prometheus: Prometheus) -> None:
    with_exemplars = [query for query in PROMQL if query.target.get("exemplar")]
    assert with_exemplars
    now = time.time()
    for query in with_exemplars:
        expr = substitute(query.text, VALUES)
        answer = prometheus.get(
            "/api/v1/query_exemplars", query=expr, start=str(now - 300), end=str(now)
        )
        assert answer["status"] == "success", answer
        labels = [e["labels"] for series in answer["data"] for e in series["exemplars"]]
        assert {"trace_id": TRACE_ID} in labels, query.where


def test_a_broken_expression_is_reported(prometheus: Prometheus) -> None:
    answer = prometheus.query(substitute("sum by (le (rate(x[$__rate_interval]))", VALUES))
    assert answer["status"] == "error"


def _variables() -> list[tuple[str, dict[str, Any]]]:
    return [
        (uid, variable)
        for uid, model in dashboards().items()
        for variable in model["templating"]["list"]
        if variable["type"] == "query" and uid not in EXPORTER_BOARDS
    ]


@pytest.mark.parametrize(
    "uid, variable", _variables(), ids=lambda v: v if isinstance(v, str) else v["name"]
)
def test_variable_query_lists_values(
    prometheus: Prometheus, uid: str, variable: dict[str, Any]
) -> None:
    match = re.fullmatch(r"label_values\((.+), (\w+)\)", variable["query"])
    assert match, f"{uid}: {variable['query']}"
    selector, label = match.groups()
    now = time.time()
    answer = prometheus.get(
        "/api/v1/series",
        **{"match[]": substitute(selector, VALUES)},
        start=str(now - 300),
        end=str(now),
    )
    assert answer["status"] == "success", answer
    values = {series[label] for series in answer["data"] if label in series}
    assert values, f"{uid}: variable {variable['name']} would list nothing"
    if variable["name"] == "service":
        assert values == {SERVICE}
