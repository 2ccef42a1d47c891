"""The ServiceMonitors' relabelling and the PrometheusRules' services matcher, on a real
Prometheus 2.42 whose scrape jobs are written as the operator writes them for a ServiceMonitor
(its discovery relabelling, then the ServiceMonitor's ``relabelings``). The operator itself
cannot run here; this checks what Prometheus makes of the generated parts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.kubernetes.shapes import manifest
from tests.servers import REPO, Server, free_port, serve, wait_for


def _snake(relabeling: dict[str, Any]) -> dict[str, Any]:
    keys = {"sourceLabels": "source_labels", "targetLabel": "target_label"}
    return {keys.get(k, k): v for k, v in relabeling.items()}


def _operator_job(name: str, namespace: str, service: str, address: str,
                  relabelings: list[dict[str, Any]], path: str = "/metrics") -> dict[str, Any]:
    # What the operator's Endpoints discovery leaves on a target: namespace, service and
    # job from the Kubernetes Service's name, the port name as `endpoint`.
    discovered = [
        {"target_label": "namespace", "replacement": namespace},
        {"target_label": "service", "replacement": service},
        {"target_label": "endpoint", "replacement": "metrics"},
        {"target_label": "job", "replacement": service},
    ]
    return {
        "job_name": f"serviceMonitor/{namespace}/{name}/0",
        "metrics_path": path,
        "scrape_interval": "1s",
        "static_configs": [{"targets": [address]}],
        "relabel_configs": discovered + [_snake(r) for r in relabelings],
    }


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator[Server]:
    port = free_port()
    jobs = [
        _operator_job(
            m["metadata"]["name"], m["metadata"]["namespace"],
            f"k8s-{m['metadata']['name']}",  # the Kubernetes Service's own name
            f"127.0.0.1:{port}",  # Prometheus's own /metrics stands in for the app's
            m["spec"]["endpoints"][0]["relabelings"],
        )
        for m in manifest("service-monitors.yaml")
    ]
    # Another team's target, down, as every cluster has some.
    jobs.append(_operator_job("kube-scheduler", "kube-system", "kube-scheduler",
                              f"127.0.0.1:{free_port()}", []))
    config = tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump({"global": {"scrape_interval": "1s"},
                                      "scrape_configs": jobs}))
    command = ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={tmp_path}/data",
               f"--web.listen-address=127.0.0.1:{port}"]
    with serve(command, f"http://127.0.0.1:{port}", tmp_path / "prometheus.log",
               ready_path="/-/ready") as server:
        yield server


def _query(server: Server, expr: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{server.base_url}/api/v1/query", params={"query": expr}, timeout=10)
    answer.raise_for_status()
    result: list[dict[str, Any]] = answer.json()["data"]["result"]
    return result


def _alert_expr(spec: dict[str, Any], name: str) -> str:
    (expr,) = [r["expr"] for g in spec["groups"] for r in g["rules"] if r.get("alert") == name]
    return str(expr)


def test_targets_carry_the_knobs_names_and_only_they_are_judged(prometheus: Server) -> None:
    # Every target scraped once: ours up, the other team's down.
    wait_for(lambda: len(_query(prometheus, "up")) == 3
             and len(_query(prometheus, "up == 0")) == 1, "three targets scraped")
    ours = {(s["metric"]["service"], s["metric"]["job"], s["value"][1])
            for s in _query(prometheus, "up{namespace='default'}")}
    assert ours == {("my-service", "app", "1"), ("my-service", "worker", "1")}
    cluster = {o["metadata"]["name"]: o["spec"] for o in manifest("prometheus-rules.yaml")}
    plain = yaml.safe_load((REPO / "prometheus" / "rules" / "alerts.rules.yml").read_text())
    # The knobs' jobs are found by their names: TargetMissing stays quiet.
    assert _query(prometheus, _alert_expr(cluster["signalpost-alerts"], "TargetMissing")) == []
    # The other team's target down pages with the plain rules, not with the cluster's.
    down = _query(prometheus, _alert_expr(plain, "ServiceDown"))
    assert [s["metric"]["service"] for s in down] == ["kube-scheduler"]
    assert _query(prometheus, _alert_expr(cluster["signalpost-alerts"], "ServiceDown")) == []
