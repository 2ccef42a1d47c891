"""The exporter alerts on real data: node_exporter 1.5 and postgres_exporter 0.11.1 (the Debian
packages) scraped by a real Prometheus 2.42 that evaluates the generated exporter rules.

The PostgreSQL cluster is this module's own (a :class:`tests.postgres.PostgresServer`, not the
session's shared one): the scenarios fill its connection slots and lock its tables, which must
not disturb other tests' connections. Thresholds are lowered and ``for`` durations set to zero
through the knobs (the expressions stay the generator's); each scenario waits for the alert to
fire, then for it to clear once the scenario ends.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

from demo.exporters import node_exporter_argv, postgres_dsn, postgres_exporter_argv
from prometheus import exporter_metrics as x
from prometheus.alerting import Dashboard as Uid
from prometheus.catalog import Alert
from prometheus.config import command_line, main_config
from prometheus.exporter_metrics import QUERIES_FILE, queries_file
from prometheus.knobs import Knobs, load_knobs
from prometheus.rulefiles import rule_files
from prometheus.testdata import TEST_KNOBS
from tests.grafana.dashboards import Query, dashboards, queries, substitute
from tests.postgres import PostgresServer
from tests.servers import Server, free_port, serve, wait_for

pytestmark = pytest.mark.slow

MAX_CONNECTIONS = 50  # demo.postgres.PostgresServer's setting
TIMEOUT = 90.0  # a busy 2-core machine: scrapes every second, evaluations every second


class Stack:
    """The running Prometheus, and the database the exporter watches."""

    def __init__(self, prometheus: Server, postgres: PostgresServer) -> None:
        self.prometheus, self.postgres = prometheus, postgres

    def get(self, path: str, **params: str) -> Any:
        url = f"{self.prometheus.base_url}{path}?{urllib.parse.urlencode(params)}"
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.load(response)["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.get("/api/v1/query", query=expr)["result"]
        return result

    def firing(self, alert: Alert) -> list[dict[str, Any]]:
        return [
            a
            for a in self.get("/api/v1/alerts")["alerts"]
            if a["labels"]["alertname"] == alert and a["state"] == "firing"
        ]

    def connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.postgres.conninfo, autocommit=True)


def _knobs(pg_target: str, node_target: str, app_target: str) -> Knobs:
    data = load_knobs(TEST_KNOBS).model_dump(by_alias=True)
    data.update(
        services={"shop": {"app": [app_target]}},
        monitoring_targets={},
        scrape_interval="1s",
        evaluation_interval="1s",
    )
    zero = {"for": "0s"}
    data["exporters"].update(
        services={"shop": {x.NODE_JOB: [node_target], x.POSTGRES_JOB: [pg_target]}},
        connections_near_limit={**zero, "threshold": 0.5},
        long_transaction={**zero, "max_seconds": 3},
        locks_waiting={**zero, "min_waiting": 1},
        deadlocks={"window": "1m"},
        replication_lag={**zero, "max_seconds": 2},
        # Thresholds any real host crosses: the node expressions fire on scraped data.
        memory_pressure={**zero, "min_available": 0.999, "max_stall": 0.999},
        cpu_saturated={**zero, "load_per_core": 0.0001},
        inodes_low={**zero, "min_free": 0.99999},
    )
    return Knobs.model_validate(data)


@contextmanager
def started(root: Path, postgres: PostgresServer) -> Iterator[Stack]:
    """Both exporters (postgres_exporter watching ``postgres``) and a Prometheus evaluating the
    exporter rules, with this module's knobs."""
    node_port, pg_port, prom_port = free_port(), free_port(), free_port()
    queries = root / QUERIES_FILE
    queries.write_text(yaml.safe_dump(queries_file()), encoding="utf-8")
    knobs = _knobs(f"127.0.0.1:{pg_port}", f"127.0.0.1:{node_port}", f"127.0.0.1:{prom_port}")
    (root / "rules").mkdir()
    for name, content in rule_files(knobs).items():
        (root / "rules" / name).write_text(yaml.safe_dump(content), encoding="utf-8")
    config = main_config(knobs, rule_files=("rules/exporters.rules.yml",))
    (root / "prometheus.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    dsn = postgres_dsn("127.0.0.1", postgres.port, "postgres", "postgres")
    flags = command_line(
        "main", str(root / "prometheus.yml"), str(root / "data"), f"127.0.0.1:{prom_port}"
    )
    with (
        serve(node_exporter_argv(f"127.0.0.1:{node_port}"), f"http://127.0.0.1:{node_port}",
              root / "node.log"),
        serve(postgres_exporter_argv(f"127.0.0.1:{pg_port}", queries),
              f"http://127.0.0.1:{pg_port}", root / "pg.log", env={"DATA_SOURCE_NAME": dsn}),
        serve(["prometheus", *flags], f"http://127.0.0.1:{prom_port}", root / "prom.log",
              ready_path="/-/ready") as prometheus,
    ):  # fmt: skip
        yield Stack(prometheus, postgres)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """PostgreSQL, both exporters and Prometheus, started once for the module's scenarios."""
    root = tmp_path_factory.mktemp("exporters")
    postgres = PostgresServer()
    try:
        postgres.start()
        with started(root, postgres) as running:
            with running.connect() as conn:
                conn.execute("CREATE TABLE account (id int PRIMARY KEY, balance int)")
                conn.execute("INSERT INTO account VALUES (1, 0), (2, 0)")
            yield running
    finally:
        postgres.destroy()


def _labels(alerts: list[dict[str, Any]], *keys: str) -> list[dict[str, str]]:
    return [{k: a["labels"].get(k, "") for k in keys} for a in alerts]


def test_the_rules_read_series_the_exporters_really_expose(stack: Stack) -> None:
    for metric in sorted(x.EXPORTED_SERIES):
        wait_for(
            partial(stack.query, f'count({metric}{{service="shop"}})'),
            f"{metric} scraped with the service label", timeout=TIMEOUT,
        )  # fmt: skip
    names = {str(a) for a in Alert if a.startswith(("Node", "Postgres")) or a == "ExporterDown"}

    def evaluated() -> list[dict[str, Any]] | None:
        rules = [r for g in stack.get("/api/v1/rules")["groups"] for r in g["rules"]]
        done = all(r["lastEvaluation"] > "2000" and r["health"] == "ok" for r in rules)
        return rules if done and len(rules) == len(names) else None

    rules = wait_for(evaluated, "every exporter rule evaluated without error", timeout=TIMEOUT)
    assert {r["name"] for r in rules} == names
    # The disk prediction cannot be forced here; its ratio reads the real root file system.
    assert stack.query(f'{x.NODE_FS_AVAIL}{{mountpoint="/"}} / {x.NODE_FS_SIZE}{{mountpoint="/"}}')


def test_node_alerts_fire_on_the_real_host(stack: Stack) -> None:
    node = stack.prometheus.base_url  # only for the message
    for alert in (Alert.NODE_MEMORY_PRESSURE, Alert.NODE_CPU_SATURATED):
        fired = wait_for(partial(stack.firing, alert), f"{alert} on {node}", timeout=TIMEOUT)
        assert _labels(fired, "service", "severity") == [
            {"service": "shop", "severity": "warning"}
        ]
    fired = wait_for(lambda: stack.firing(Alert.NODE_FILESYSTEM_INODES_LOW), "inodes",
                     timeout=TIMEOUT)  # fmt: skip
    assert "/" in {a["labels"]["mountpoint"] for a in fired}


def test_connections_near_max_connections(stack: Stack) -> None:
    alert = Alert.POSTGRES_CONNECTIONS_NEAR_LIMIT
    assert not stack.firing(alert)
    conns = [stack.connect() for _ in range(MAX_CONNECTIONS // 2 + 1)]
    try:
        fired = wait_for(lambda: stack.firing(alert), "firing", timeout=TIMEOUT)
        assert _labels(fired, "service", "job", "severity") == [
            {"service": "shop", "job": "postgres", "severity": "warning"}
        ]
        assert fired[0]["annotations"]["description"].endswith(
            "of max_connections are in use: new connections will soon be refused."
        )
    finally:
        for conn in conns:
            conn.close()
    wait_for(lambda: not stack.firing(alert), "resolved", timeout=TIMEOUT)


def test_a_transaction_held_open(stack: Stack) -> None:
    alert = Alert.POSTGRES_LONG_TRANSACTION
    with stack.connect() as conn:
        conn.execute("BEGIN")
        conn.execute("SELECT balance FROM account WHERE id = 1")  # then idle in transaction
        fired = wait_for(lambda: stack.firing(alert), "firing", timeout=TIMEOUT)
        assert _labels(fired, "service", "datname") == [{"service": "shop", "datname": "postgres"}]
        conn.execute("ROLLBACK")
    wait_for(lambda: not stack.firing(alert), "resolved", timeout=TIMEOUT)


def test_queries_waiting_for_a_lock(stack: Stack) -> None:
    alert = Alert.POSTGRES_LOCKS_WAITING
    with stack.connect() as holder, stack.connect() as waiter:
        holder.execute("BEGIN")
        holder.execute("LOCK TABLE account IN ACCESS EXCLUSIVE MODE")
        waiter.execute("SET lock_timeout = '300s'")
        blocked = threading.Thread(target=waiter.execute, args=("SELECT * FROM account",))
        blocked.start()
        try:
            fired = wait_for(lambda: stack.firing(alert), "firing", timeout=TIMEOUT)
            assert _labels(fired, "service", "job") == [{"service": "shop", "job": "postgres"}]
        finally:
            holder.execute("ROLLBACK")
            blocked.join(timeout=60)
    wait_for(lambda: not stack.firing(alert), "resolved", timeout=TIMEOUT)


def test_a_deadlock(stack: Stack) -> None:
    alert = Alert.POSTGRES_DEADLOCKS
    assert not stack.firing(alert)
    errors: list[BaseException] = []

    def update(conn: psycopg.Connection[Any], row: int) -> None:
        try:
            conn.execute("UPDATE account SET balance = balance + 1 WHERE id = %s", (row,))
        except psycopg.errors.DeadlockDetected as exc:
            errors.append(exc)

    with stack.connect() as a, stack.connect() as b:
        a.execute("BEGIN")
        b.execute("BEGIN")
        update(a, 1)
        update(b, 2)
        crossing = threading.Thread(target=update, args=(a, 2))  # waits for b
        crossing.start()
        with stack.connect() as probe:
            waiting = "SELECT 1 FROM pg_locks WHERE NOT granted"
            wait_for(lambda: probe.execute(waiting).fetchall(), "a waiting for b")
        update(b, 1)  # b waits for a: PostgreSQL aborts one of them after deadlock_timeout
        crossing.join(timeout=60)
        a.execute("ROLLBACK")
        b.execute("ROLLBACK")
    assert len(errors) == 1
    fired = wait_for(lambda: stack.firing(alert), "firing", timeout=TIMEOUT)
    assert _labels(fired, "service", "datname") == [{"service": "shop", "datname": "postgres"}]


@pytest.mark.parametrize(
    "query",
    [query for query in queries("prometheus") if query.dashboard in (Uid.HOST, Uid.POSTGRES)],
    ids=lambda query: query.where,
)
def test_host_and_postgres_dashboards_show_real_data(stack: Stack, query: Query) -> None:
    expr = substitute(query.text, {"service": "shop", "instance": ".*"})
    # Rates over $__rate_interval want a few scrapes: wait for data rather than for a time.
    wait_for(lambda: stack.query(expr), f"{query.where}: data for {expr}", timeout=TIMEOUT)


def test_dashboard_instance_variables_list_the_exporters(stack: Stack) -> None:
    for uid in (Uid.HOST, Uid.POSTGRES):
        (variable,) = [
            v for v in dashboards()[uid]["templating"]["list"] if v.get("name") == "instance"
        ]
        expr = substitute(variable["query"], {"service": "shop"})
        selector = expr.removeprefix("label_values(").rsplit(",", 1)[0]
        assert stack.query(selector), f"{uid}: {expr} lists nothing"
