"""Retention tiers with real Prometheus processes: only the roll-ups reach the long-term stores.

A main Prometheus scrapes a metrics endpoint every second, evaluates the generated rules (the
roll-up groups' 1h/1d intervals shortened to 2 s, nothing else changed) and remote-writes to two
receiving Prometheus instances started with the flags the stack uses (retention 30 d and 365 d).
The same processes (and an Alertmanager) show that the meta alerts read metric and label names
that Prometheus 2.42 and Alertmanager 0.25 really expose.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry, Histogram, start_http_server

from prometheus import recording as r
from prometheus import selfmetrics as m
from prometheus.config import (
    RETENTION,
    command_line,
    longterm_config,
    main_config,
    with_targets,
)
from prometheus.knobs import load_knobs, seconds
from prometheus.rulefiles import rule_files
from prometheus.targets import DAILY, HOURLY
from signalpost.semconv import attributes as attr
from signalpost.semconv import http

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Prom:
    """One Prometheus process in its own directory."""

    def __init__(self, root: Path, role: str, port: int) -> None:
        self.dir = root / role
        (self.dir / "rules").mkdir(parents=True)
        self.role, self.port = role, port
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, config: dict[str, Any], rules: dict[str, Any]) -> None:
        (self.dir / "prometheus.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
        for name, content in rules.items():
            (self.dir / "rules" / name).write_text(yaml.safe_dump(content), encoding="utf-8")
        flags = command_line(
            self.role,
            config=str(self.dir / "prometheus.yml"),
            storage=str(self.dir / "data"),
            listen=f"127.0.0.1:{self.port}",
        )
        with (self.dir / "log").open("wb") as log:
            self.proc = subprocess.Popen(["prometheus", *flags], stdout=log, stderr=log)

    def get(self, path: str, **params: str) -> Any:
        url = f"http://127.0.0.1:{self.port}{path}?{urllib.parse.urlencode(params)}"
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.load(response)["data"]

    def query(self, expr: str, **params: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.get("/api/v1/query", query=expr, **params)["result"]
        return result

    def names(self) -> set[str]:
        return {s["metric"]["__name__"] for s in self.query('group by (__name__) ({__name__!=""})')}

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


def _until(what: str, check: Any, timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except OSError:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Prom]]:
    """The three instances, started once for the module's tests (each only reads)."""
    tmp_path = tmp_path_factory.mktemp("retention")
    knobs = load_knobs()
    registry = CollectorRegistry()
    spec = http.REQUEST_DURATION
    duration = Histogram(
        spec.name, spec.help, spec.labels, registry=registry, buckets=spec.buckets or ()
    )
    stop = threading.Event()

    def traffic() -> None:  # 10 requests/s, one in ten a 500
        n = 0
        while not stop.wait(0.1):
            n += 1
            status = "500" if n % 10 == 0 else "200"
            values = {
                attr.HTTP_REQUEST_METHOD: "GET",
                attr.HTTP_ROUTE: "/a",
                attr.HTTP_RESPONSE_STATUS_CODE: status,
                attr.ERROR_TYPE: status if status == "500" else "",
                attr.URL_SCHEME: "http",
            }
            duration.labels(*(values[a] for a in spec.attributes)).observe(0.08)

    feeder = threading.Thread(target=traffic, daemon=True)
    feeder.start()
    app_port = _free_port()
    server, _thread = start_http_server(app_port, addr="127.0.0.1", registry=registry)
    proms = {role: Prom(tmp_path, role, _free_port()) for role in ("main", "1h", "1d")}
    knobs = with_targets(
        knobs,
        {knobs.services[0]: {"app": [f"127.0.0.1:{app_port}"]}},
        {
            "prometheus": [f"127.0.0.1:{proms['main'].port}"],
            "alertmanager": ["127.0.0.1:9"],  # nothing listens: alert delivery is not under test
            HOURLY: [f"127.0.0.1:{proms['1h'].port}"],
            DAILY: [f"127.0.0.1:{proms['1d'].port}"],
        },
        scrape_interval="1s",
        evaluation_interval="1s",
    )
    rules = rule_files(knobs)
    for content in rules.values():
        for group in content["groups"]:
            if "interval" in group:
                group["interval"] = "2s"
    try:
        for window in ("1h", "1d"):
            budget = {"slo-budget.rules.yml": rules["slo-budget.rules.yml"]}
            proms[window].start(longterm_config(window), budget if window == "1h" else {})
        config = main_config(knobs)
        proms["main"].start(config, rules)
        yield proms
    finally:
        for prom in proms.values():
            prom.stop()
        stop.set()
        feeder.join()
        server.shutdown()
        server.server_close()


def test_only_rollups_reach_the_long_term_stores(stack: dict[str, Prom]) -> None:
    requests_1h = r.rollup(r.HTTP_REQUESTS, "1h")
    requests_1d = r.rollup(r.HTTP_REQUESTS, "1d")
    for window, name in (("1h", requests_1h), ("1d", requests_1d)):
        found = _until(
            f"{name} > 0 in the {window} store",
            lambda p=stack[window], n=name: p.query(f"last_over_time({n}[1h]) > 0"),
        )
        assert found[0]["metric"] == {
            "__name__": name,
            "service": load_knobs().services[0],
            "http_route": "/a",
            "prometheus": "main",  # the writer's external label travels along
        }
    # The main instance has raw series and 5-minute rules; the stores have neither.
    main_names = stack["main"].names()
    assert {f"{http.REQUEST_DURATION.name}_count", r.HTTP_REQUESTS} <= main_names
    for window in ("1h", "1d"):
        pattern = re.compile(r.rollup_regex(window))
        names = stack[window].names() - {r.SLO_ERROR_BUDGET_REMAINING}
        assert names and all(pattern.fullmatch(n) for n in names), names
        assert r.HTTP_REQUESTS not in names
        assert f"{http.REQUEST_DURATION.name}_count" not in names
    assert requests_1d not in stack["1h"].names()
    assert requests_1h not in stack["1d"].names()


def test_lookback_hides_a_rollup_from_instant_queries(stack: dict[str, Prom]) -> None:
    name = r.rollup(r.HTTP_REQUESTS, "1h")
    store = stack["1h"]
    _until(f"{name} in the store", lambda: store.query(f"last_over_time({name}[1h])"))
    later = str(time.time() + 600)  # ten minutes on: beyond the 5-minute lookback delta
    assert store.query(name, time=later) == []
    assert store.query(f"last_over_time({name}[1h])", time=later) != []


def test_each_instance_runs_with_its_retention(stack: dict[str, Prom]) -> None:
    for role, prom in stack.items():
        flags = _until(f"{role} flags", lambda p=prom: p.get("/api/v1/status/flags"))
        # Prometheus prints durations in its own units (7d is 1w).
        assert seconds(flags["storage.tsdb.retention.time"]) == seconds(RETENTION[role])
        if role == "main":
            assert "exemplar-storage" in flags["enable-feature"]
        else:
            assert flags["web.enable-remote-write-receiver"] == "true"


def _metrics_text(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text: str = response.read().decode()
    return text


def _has_series(text: str, name: str, labels: tuple[str, ...]) -> bool:
    lines = [line for line in text.splitlines() if line.startswith(f"{name}{{")]
    return any(all(f'{label}="' in line for label in labels) for line in lines)


def test_meta_alerts_read_metrics_prometheus_exposes(stack: dict[str, Prom]) -> None:
    text = _metrics_text(stack["main"].port)
    assert _has_series(text, m.PROMETHEUS_RULE_EVALUATION_FAILURES, ("rule_group",))
    assert _has_series(text, m.PROMETHEUS_NOTIFICATIONS_ERRORS, ("alertmanager",))
    assert _has_series(text, m.PROMETHEUS_NOTIFICATIONS_SENT, ("alertmanager",))
    assert _has_series(text, m.PROMETHEUS_REMOTE_SAMPLES_FAILED, ("remote_name", "url"))


def test_meta_alerts_read_metrics_alertmanager_exposes(tmp_path: Path) -> None:
    config = tmp_path / "alertmanager.yml"
    config.write_text(
        yaml.safe_dump({"route": {"receiver": "void"}, "receivers": [{"name": "void"}]}),
        encoding="utf-8",
    )
    port = _free_port()
    with (tmp_path / "log").open("wb") as log:
        proc = subprocess.Popen(
            [
                "prometheus-alertmanager",
                f"--config.file={config}",
                f"--storage.path={tmp_path / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
            ],
            stdout=log,
            stderr=log,
        )
    try:
        text = _until("alertmanager metrics", lambda: _metrics_text(port))
        assert _has_series(text, m.ALERTMANAGER_NOTIFICATIONS_FAILED, ("integration",))
        assert _has_series(text, m.ALERTMANAGER_NOTIFICATIONS, ("integration",))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
