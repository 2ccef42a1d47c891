"""A real Prometheus (Debian's 2.42) loaded with the generated rules, scraping a small exporter
whose registry holds every metric signalpost defines, with live values.
"""

from __future__ import annotations

import itertools
import json
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml
from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.openmetrics.exposition import CONTENT_TYPE_LATEST, generate_latest

from signalpost import metrics
from signalpost.health.result import Status
from signalpost.jobs.state import JobState
from signalpost.semconv import (
    ALL_METRICS,
    MetricSpec,
    breaker,
    db,
    health,
    jobs,
    prometheus_label,
)
from signalpost.semconv import attributes as attr

__all__ = ["Prometheus", "running_prometheus"]

RULES = Path(__file__).resolve().parents[2] / "prometheus" / "rules"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"

# Label values per attribute key; two values where a dashboard compares them (5xx or not,
# succeeded or failed, healthy or not). Keys not listed get one made-up value.
VALUES: dict[str, tuple[str, ...]] = {
    attr.HTTP_REQUEST_METHOD: ("GET",),
    attr.HTTP_ROUTE: ("/candidates/{candidate_id}", "/boom"),
    attr.HTTP_RESPONSE_STATUS_CODE: ("200", "500"),
    jobs.JOB_TYPE: ("matching", "digest"),
    jobs.JOB_STATUS: (JobState.SUCCEEDED, JobState.FAILED),
    attr.ERROR_CLASS: ("transient", "permanent"),
    attr.ERROR_SOURCE: ("http", "job"),
    attr.EXCEPTION_TYPE: ("RuntimeError",),
    health.CHECK_NAME: ("postgres", "disk"),
    health.CHECK_KIND: (health.KIND_CRITICAL,),
    health.STATUS: tuple(Status),
    db.DB_SYSTEM_NAME: (db.POSTGRESQL,),
    db.DB_OPERATION_NAME: ("SELECT", "INSERT"),
    health.FILESYSTEM_MOUNTPOINT: ("/",),
    breaker.BREAKER_NAME: ("scoring",),
    breaker.BREAKER_STATE: ("closed", "open", "half_open"),
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class _Exporter:
    """Every signalpost metric with every label combination, moving a little on each tick."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        # prometheus-client's own process metrics, as every real /metrics has them.
        ProcessCollector(registry=self.registry)
        self._children: list[tuple[MetricSpec, Any, dict[str, str]]] = []
        for spec in ALL_METRICS:
            metric = metrics.metric_for(spec, self.registry)
            combos = itertools.product(*(VALUES.get(a, ("x",)) for a in spec.attributes))
            for combo in combos:
                labels = dict(zip(spec.labels, combo, strict=True))
                child = metric.labels(**labels) if labels else metric
                self._children.append((spec, child, labels))
        self._tick = 0
        self.tick()

    def tick(self) -> None:
        self._tick += 1
        now = time.time()
        for spec, child, labels in self._children:
            if spec.kind == "counter":
                child.inc(1 + self._tick % 3)
            elif spec.kind == "histogram":
                for value in (0.004, 0.03, 0.2, 0.7, 3.0):
                    child.observe(value, exemplar={"trace_id": TRACE_ID})
            elif spec.name.endswith("timestamp_seconds"):
                child.set(now - 120)
            elif spec.unit == "ratio":
                child.set(0.4 + 0.001 * self._tick)
            elif spec.name.endswith("age_seconds"):
                child.set(30 * 60 + self._tick)
            elif spec is breaker.STATE:
                child.set(1 if labels[prometheus_label(breaker.BREAKER_STATE)] == "open" else 0)
            elif health.STATUS in spec.attributes:
                child.set(1 if labels[prometheus_label(health.STATUS)] != Status.DEGRADED else 0)
            else:
                child.set(3 + self._tick % 2)

    @contextmanager
    def serve(self) -> Iterator[str]:
        exporter = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                exporter.tick()
                body = generate_latest(exporter.registry)
                self.send_response(200)
                self.send_header("Content-Type", CONTENT_TYPE_LATEST)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()


class Prometheus:
    """The HTTP API of a running Prometheus."""

    def __init__(self, url: str) -> None:
        self.url = url

    def get(self, path: str, **params: str) -> dict[str, Any]:
        query = urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(f"{self.url}{path}?{query}", timeout=30) as response:
                answer: dict[str, Any] = json.load(response)
        except urllib.error.HTTPError as exc:
            answer = json.load(exc)
        return answer

    def query(self, expr: str) -> dict[str, Any]:
        return self.get("/api/v1/query", query=expr)

    def has_data(self, expr: str) -> bool:
        try:
            answer = self.query(expr)
        except urllib.error.URLError:  # not listening yet
            return False
        return answer.get("status") == "success" and bool(answer["data"]["result"])


def _rule_files(directory: Path) -> list[str]:
    """The generated rule files, with every group evaluated each second (roll-up groups run
    hourly or daily in production; here they must produce data within the test) and every
    alert firing as soon as its condition holds (the alert panels need firing alerts)."""
    out = []
    for path in sorted(RULES.glob("*.yml")):
        data = yaml.safe_load(path.read_text())
        for group in data["groups"]:
            group["interval"] = "1s"
            for rule in group["rules"]:
                if "for" in rule:
                    rule["for"] = "0s"
        target = directory / path.name
        target.write_text(yaml.safe_dump(data))
        out.append(str(target))
    return out


@contextmanager
def running_prometheus(service: str) -> Iterator[Prometheus]:
    """Prometheus on a free port, scraping the exporter every second as ``service``."""
    binary = shutil.which("prometheus")
    if binary is None:
        raise RuntimeError("prometheus not found: run scripts/bootstrap.sh")
    exporter = _Exporter()
    with exporter.serve() as target, tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": _rule_files(directory),
            "scrape_configs": [
                {
                    "job_name": "app",
                    "static_configs": [{"targets": [target], "labels": {"service": service}}],
                }
            ],
        }
        (directory / "prometheus.yml").write_text(yaml.safe_dump(config))
        port = _free_port()
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={directory / 'prometheus.yml'}",
                f"--storage.tsdb.path={directory / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--enable-feature=exemplar-storage",
                "--log.level=warn",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            yield Prometheus(f"http://127.0.0.1:{port}")
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stderr is not None:
                process.stderr.close()
