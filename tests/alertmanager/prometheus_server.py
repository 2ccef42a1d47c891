"""A real Prometheus 2.42 evaluating generated alert rules and sending to a test Alertmanager.

Everything runs each second (scrape, evaluation, re-sending firing alerts), so what the
generated rules and routes do in minutes happens here in seconds.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from prometheus.knobs import Knobs
from prometheus.rulefiles import rule_files
from tests.alertmanager.harness import AlertmanagerServer
from tests.servers import free_port, wait_answering

__all__ = ["PrometheusServer", "scrape"]


def scrape(job: str, service: str, *targets: str) -> dict[str, Any]:
    """A static scrape configuration: ``targets`` of ``job``, labelled ``service``."""
    return {"job_name": job, "static_configs": [{"targets": list(targets),
                                                 "labels": {"service": service}}]}


class PrometheusServer:
    """``prometheus`` with the alert rules generated from ``knobs``, sending to ``alertmanager``.

    ``scrape_configs`` may name ``{self}`` as a target: Prometheus's own address.
    """

    def __init__(
        self,
        knobs: Knobs,
        alertmanager: AlertmanagerServer,
        scrape_configs: list[dict[str, Any]],
        *,
        remote_write: list[dict[str, Any]] | None = None,
    ) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="signalpost-prom-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        rules = self.root / "alerts.rules.yml"
        rules.write_text(yaml.safe_dump(rule_files(knobs)["alerts.rules.yml"]), encoding="utf-8")
        am = alertmanager.url.removeprefix("http://")
        config: dict[str, Any] = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(rules)],
            "alerting": {"alertmanagers": [{"static_configs": [{"targets": [am]}]}]},
            "scrape_configs": json.loads(
                json.dumps(scrape_configs).replace("{self}", f"127.0.0.1:{self.port}")
            ),
        }
        if remote_write:
            config["remote_write"] = remote_write
        (self.root / "prometheus.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
        self.log_file = self.root / "prometheus.log"
        with open(self.log_file, "wb") as log:
            self.process = subprocess.Popen(
                [
                    "prometheus",
                    f"--config.file={self.root / 'prometheus.yml'}",
                    f"--storage.tsdb.path={self.root / 'data'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    # Alerts evaluated before Alertmanager is discovered (about 5 s) are
                    # dropped; the default re-sends them a minute later.
                    "--rules.alert.resend-delay=1s",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_answering(self.process, f"{self.url}/-/ready", self.log, what="Prometheus")
        except BaseException:
            self.stop()
            raise

    def log(self) -> str:
        return self.log_file.read_text(encoding="utf-8", errors="replace")

    def get(self, path: str, **params: str) -> Any:
        """The ``data`` of a JSON API answer."""
        url = f"{self.url}{path}?{urllib.parse.urlencode(params)}"
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.load(response)["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.get("/api/v1/query", query=expr)["result"]
        return result

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)
