"""Two real Prometheus 2.42 replicas configured by :func:`prometheus.config.replica_configs`,
scraping a probe whose series the test switches on, and sending to a clustered Alertmanager.

The probe exports ``ha_probe{job_type="<case>"} 1`` for every case switched on; one alerting
rule fires on each. ``job_type`` is one of the generated routing's ``group_by`` labels, so
each case is an alert group of its own and its notifications can be counted alone.
"""

from __future__ import annotations

import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import yaml

from prometheus.config import command_line, replica_configs, with_targets
from prometheus.knobs import load_knobs
from tests.daemons import Daemon
from tests.servers import free_port

__all__ = ["PROBE_RULES", "Probe", "PrometheusPair"]

PROBE_RULES = {
    "groups": [
        {
            "name": "ha-probe",
            "rules": [
                {
                    "alert": "HaProbe",
                    "expr": "ha_probe > 0",
                    "labels": {"severity": "info"},
                    "annotations": {"summary": "probe case {{ $labels.job_type }} is on"},
                }
            ],
        }
    ]
}


class Probe:
    """A scrape target exposing one ``ha_probe`` series per case switched on."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cases: list[str] = []
        probe = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with probe._lock:
                    lines = [f'ha_probe{{job_type="{case}"}} 1' for case in probe._cases]
                body = ("# TYPE ha_probe gauge\n" + "".join(f"{x}\n" for x in lines)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def switch_on(self, case: str) -> None:
        with self._lock:
            self._cases.append(case)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class PrometheusPair:
    """Replicas ``a`` and ``b`` from the generated replica configurations."""

    def __init__(self, root: Path, probe: Probe, alertmanagers: list[str]) -> None:
        binary = shutil.which("prometheus")
        if binary is None:
            raise RuntimeError("prometheus not found: run scripts/bootstrap.sh")
        addresses = {name: f"127.0.0.1:{free_port()}" for name in ("a", "b")}
        knobs = with_targets(
            load_knobs(),
            services={"ha-test": {"probe": [probe.address]}},
            monitoring={},
            scrape_interval="1s",
            evaluation_interval="1s",
            ha={"replicas": addresses, "alertmanagers": alertmanagers},
        )
        rules = root / "ha-probe.rules.yml"
        rules.write_text(yaml.safe_dump(PROBE_RULES), encoding="utf-8")
        self.configs = replica_configs(knobs)
        self.replicas: dict[str, Daemon] = {}
        for name, address in addresses.items():
            config = {**self.configs[f"prometheus-{name}.yml"], "rule_files": [str(rules)]}
            path = root / f"prometheus-{name}.yml"
            path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
            url = f"http://{address}"
            argv = [binary, *command_line("main", str(path), str(root / f"data-{name}"),
                                          address, url)]  # fmt: skip
            self.replicas[name] = Daemon(
                f"prometheus-{name}", argv, f"{url}/-/ready", root / f"prometheus-{name}.log"
            )
        self.urls = {name: f"http://{address}" for name, address in addresses.items()}

    def start(self) -> None:
        for replica in self.replicas.values():
            replica.launch()
        for replica in self.replicas.values():
            replica.wait_ready()

    def stop(self) -> None:
        for replica in self.replicas.values():
            replica.stop()

    def firing(self, name: str) -> set[str]:
        """The cases whose alert replica ``name`` has firing."""
        response = httpx.get(f"{self.urls[name]}/api/v1/alerts", timeout=5).json()
        return {
            a["labels"]["job_type"]
            for a in response["data"]["alerts"]
            if a["labels"].get("alertname") == "HaProbe" and a["state"] == "firing"
        }

    def sent_to(self, name: str) -> dict[str, float]:
        """Alerts replica ``name`` has sent, by Alertmanager URL."""
        text = httpx.get(f"{self.urls[name]}/metrics", timeout=5).text
        sent: dict[str, float] = {}
        for line in text.splitlines():
            if line.startswith("prometheus_notifications_sent_total{"):
                labels, value = line.rsplit(" ", 1)
                sent[labels.split('alertmanager="', 1)[1].split('"', 1)[0]] = float(value)
        return sent
