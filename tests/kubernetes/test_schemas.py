"""The Kubernetes objects validate against the Prometheus Operator's published CRD schemas
(tests/kubernetes/schemas/README.md) and the API server's rules for names, labels and data."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubernetes.knobs import DEFAULT_KNOBS, MetricsAuth, load_knobs
from kubernetes.objects import cluster_knobs, service_monitors
from prometheus.config import RULE_FILES
from prometheus.knobs import DEFAULT_KNOBS as PROM_KNOBS
from prometheus.knobs import load_knobs as load_prom_knobs
from prometheus.rulefiles import rule_files
from tests.kubernetes.shapes import (
    MAX_APPLIED_BYTES,
    data_problems,
    errors,
    manifest,
    metadata_problems,
)

ROOT = Path(__file__).parents[2]


@pytest.mark.parametrize(
    ("file", "schema"),
    [("prometheus-rules.yaml", "prometheusrules"), ("service-monitors.yaml", "servicemonitors")],
)
def test_custom_resources_validate(file: str, schema: str) -> None:
    objs = manifest(file)
    assert objs
    for obj in objs:
        assert obj["apiVersion"] == "monitoring.coreos.com/v1"
        assert errors(schema, obj) == [], obj["metadata"]["name"]
        assert metadata_problems(obj) == [], obj["metadata"]["name"]
        assert len(json.dumps(obj).encode()) < MAX_APPLIED_BYTES, obj["metadata"]["name"]


def test_the_schemas_catch_what_the_api_server_would_refuse_or_prune() -> None:
    rule = manifest("prometheus-rules.yaml")[-1]
    typo = copy.deepcopy(rule)
    typo["spec"]["groups"][0]["rules"][0]["expresion"] = typo["spec"]["groups"][0]["rules"][0].pop(
        "expr"
    )
    assert any("expresion" in e for e in errors("prometheusrules", typo))
    assert any("'expr' is a required property" in e for e in errors("prometheusrules", typo))
    bad_for = copy.deepcopy(rule)
    bad_for["spec"]["groups"][0]["rules"][0]["for"] = "10 minutes"
    assert any("does not match" in e for e in errors("prometheusrules", bad_for))
    monitor = manifest("service-monitors.yaml")[0]
    bad = copy.deepcopy(monitor)
    bad["spec"]["endpoints"][0]["scheme"] = "HTTP"
    bad["spec"]["endpoints"][0]["relabelings"][0]["action"] = "rename"
    del bad["spec"]["selector"]
    found = errors("servicemonitors", bad)
    assert len(found) == 3, found


def test_prometheus_rules_carry_the_rule_files_for_the_knobs_services_only() -> None:
    prom = load_prom_knobs(PROM_KNOBS)
    by_name = {o["metadata"]["name"]: o["spec"] for o in manifest("prometheus-rules.yaml")}
    files = sorted((ROOT / "prometheus" / "rules").glob("*.rules.yml"))
    assert len(files) == len(by_name) == len(RULE_FILES)
    for path in files:
        spec = by_name["signalpost-" + path.name.removesuffix(".rules.yml")]
        assert spec == rule_files(cluster_knobs(prom))[path.name]
        plain = yaml.safe_load(path.read_text())
        names = [[r.get("alert") or r["record"] for r in g["rules"]] for g in plain["groups"]]
        assert [[r.get("alert") or r["record"] for r in g["rules"]] for g in spec["groups"]] == names
    # Every rule on `up` judges the knobs' services only, not every target of the cluster
    # (MonitoringTargetDown judges the monitoring service's own).
    ups = [
        r["expr"] for spec in by_name.values() for g in spec["groups"] for r in g["rules"]
        if "up{" in r["expr"] and f'up{{service="{prom.monitoring_service}"' not in r["expr"]
    ]
    assert ups and all('up{service=~"my-service"' in expr for expr in ups), ups


def test_prometheus_rules_pass_promtool(tmp_path: Path) -> None:
    paths = []
    for obj in manifest("prometheus-rules.yaml"):
        path = tmp_path / f"{obj['metadata']['name']}.yml"
        path.write_text(yaml.safe_dump(obj["spec"]))
        paths.append(str(path))
    done = subprocess.run(
        ["promtool", "check", "rules", *paths], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_objects_are_labelled_for_the_operator_and_namespaced() -> None:
    knobs = load_knobs(DEFAULT_KNOBS)
    for file in ("prometheus-rules.yaml", "service-monitors.yaml"):
        for obj in manifest(file):
            assert obj["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert {o["metadata"]["namespace"] for o in manifest("prometheus-rules.yaml")} == {
        knobs.namespace
    }
    assert {o["metadata"]["namespace"] for o in manifest("service-monitors.yaml")} == {
        knobs.apps.namespace
    }


def test_one_service_monitor_per_job_setting_the_labels_the_rules_use() -> None:
    prom = load_prom_knobs(PROM_KNOBS)
    monitors = manifest("service-monitors.yaml")
    assert [m["metadata"]["name"] for m in monitors] == [f"{s}-{j}" for s, j in prom.service_jobs]
    for monitor, (service, job) in zip(monitors, prom.service_jobs, strict=True):
        endpoint = monitor["spec"]["endpoints"][0]
        set_labels = {r["targetLabel"]: r["replacement"] for r in endpoint["relabelings"]}
        assert set_labels == {"job": job, prom.service_label: service}
        assert endpoint["interval"] == prom.scrape_interval
        assert endpoint["basicAuth"]["password"] == {"name": "signalpost-metrics-auth",
                                                     "key": "password"}


@pytest.mark.parametrize("auth", [None, MetricsAuth(type="bearer", secret="metrics-token")])
def test_other_metrics_auth_validate(auth: MetricsAuth | None) -> None:
    knobs = load_knobs(DEFAULT_KNOBS)
    knobs = knobs.model_copy(update={"apps": knobs.apps.model_copy(update={"metrics_auth": auth})})
    for monitor in service_monitors(load_prom_knobs(PROM_KNOBS), knobs):
        assert errors("servicemonitors", monitor) == []
        endpoint = monitor["spec"]["endpoints"][0]
        assert "basicAuth" not in endpoint
        assert ("authorization" in endpoint) == (auth is not None)


def test_dashboard_configmaps_for_the_grafana_sidecar() -> None:
    maps = manifest("grafana-dashboards.yaml")
    committed = sorted((ROOT / "grafana" / "dashboards").glob("*.json"))
    assert len(maps) == len(committed)
    for cm, path in zip(maps, committed, strict=True):
        assert cm["kind"] == "ConfigMap" and cm["apiVersion"] == "v1"
        assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
        assert cm["metadata"]["annotations"] == {"grafana_folder": "Signalpost"}
        assert metadata_problems(cm) == [] and data_problems(cm) == []
        assert list(cm["data"]) == [path.name]
        assert json.loads(cm["data"][path.name]) == json.loads(path.read_text())


def test_shape_checks_can_fail() -> None:
    cm: dict[str, Any] = copy.deepcopy(manifest("grafana-dashboards.yaml")[0])
    cm["metadata"]["name"] = "Signalpost_Dashboard"
    cm["metadata"]["labels"]["grafana_dashboard"] = "x" * 64
    cm["data"]["bad key"] = "x" * (1024 * 1024)
    assert len(metadata_problems(cm)) == 2
    assert len(data_problems(cm)) == 3
