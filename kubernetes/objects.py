"""Kubernetes objects for the Prometheus Operator and the Grafana sidecar, built from the same
generators as the files of ``prometheus/``, ``alertmanager/`` and ``grafana/``.

- One ``PrometheusRule`` (monitoring.coreos.com/v1) per rule file of
  :func:`prometheus.rulefiles.rule_files`, with the same groups and rules, selecting only the
  knobs' services (:func:`cluster_knobs`).
- One ``ServiceMonitor`` (monitoring.coreos.com/v1) per job of every service, which sets the
  ``job`` and service labels the rules aggregate by (the operator would otherwise name the
  job after the Kubernetes Service).
- The Alertmanager configuration of :func:`alertmanager.generate.build_config` with its
  templates, as the Secret the operator's ``Alertmanager`` reads (``configSecret``).
- One ConfigMap per dashboard, labelled for the Grafana sidecar.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from alertmanager import generate as am_generate
from alertmanager.knobs import DEFAULT_TEMPLATES
from alertmanager.knobs import Knobs as AmKnobs
from kubernetes.knobs import K8sKnobs
from prometheus.config import with_targets
from prometheus.knobs import Knobs
from prometheus.rulefiles import rule_files

__all__ = [
    "AM_CONFIG_DIR",
    "AM_SECRETS_DIR",
    "MONITORING_GROUP",
    "alertmanager_secret",
    "cluster_knobs",
    "dashboard_configmaps",
    "prometheus_rules",
    "secret_files",
    "service_monitors",
]

MONITORING_GROUP = "monitoring.coreos.com"
AM_CONFIG_DIR = "/etc/alertmanager/config"
"""Where the operator mounts the keys of the configuration Secret (templates included)."""
AM_SECRETS_DIR = "/etc/alertmanager/secrets"
"""Where the operator mounts each Secret of the Alertmanager's ``spec.secrets``, by name."""


def _metadata(name: str, namespace: str, knobs: K8sKnobs, **labels: str) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": namespace,
        "labels": {
            "app.kubernetes.io/part-of": "signalpost",
            "app.kubernetes.io/managed-by": "signalpost-generate",
            **knobs.labels,
            **labels,
        },
    }


def cluster_knobs(prom: Knobs) -> Knobs:
    """The Prometheus knobs with one more ``selector`` matcher: the knobs' services only.

    In a cluster every target carries a ``service`` label (the operator sets it to the
    Kubernetes Service's name), so without it ServiceDown and the other rules aggregating by
    service would judge every target Prometheus scrapes (kubelet, kube-scheduler, ...).
    """
    services = "|".join(name.replace(".", "\\\\.") for name in prom.services)
    mine = f'{prom.service_label}=~"{services}"'
    return with_targets(prom, selector=[*prom.selector, mine])


def prometheus_rules(prom: Knobs, knobs: K8sKnobs) -> list[dict[str, Any]]:
    """One PrometheusRule per rule file, named ``signalpost-<file>`` (``.rules.yml`` dropped)."""
    cluster = cluster_knobs(prom)
    return [
        {
            "apiVersion": f"{MONITORING_GROUP}/v1",
            "kind": "PrometheusRule",
            "metadata": _metadata(
                "signalpost-" + file.removesuffix(".rules.yml"), knobs.namespace, knobs
            ),
            "spec": content,
        }
        for file, content in rule_files(cluster).items()
    ]


def _auth(knobs: K8sKnobs) -> dict[str, Any]:
    auth = knobs.apps.metrics_auth
    if auth is None:
        return {}
    if auth.type == "basic":
        return {
            "basicAuth": {
                "username": {"name": auth.secret, "key": "username"},
                "password": {"name": auth.secret, "key": "password"},
            }
        }
    token = {"name": auth.secret, "key": "token"}
    return {"authorization": {"type": "Bearer", "credentials": token}}


def _relabelings(prom: Knobs, service: str, job: str) -> list[dict[str, Any]]:
    # The operator labels targets with job=<Kubernetes Service> and service=<Kubernetes
    # Service>; the rules need the knobs' job and service names (prometheus.yml's labels).
    labels = {"job": job}
    if prom.service_label != "job":
        labels[prom.service_label] = service
    return [
        {"action": "replace", "targetLabel": label, "replacement": value}
        for label, value in labels.items()
    ]


def service_monitors(prom: Knobs, knobs: K8sKnobs) -> list[dict[str, Any]]:
    """One ServiceMonitor per job of every service, in the apps' namespace."""
    apps = knobs.apps
    return [
        {
            "apiVersion": f"{MONITORING_GROUP}/v1",
            "kind": "ServiceMonitor",
            "metadata": _metadata(f"{service}-{job}", apps.namespace, knobs),
            "spec": {
                "selector": {
                    "matchLabels": {
                        "app.kubernetes.io/name": service,
                        "app.kubernetes.io/component": job,
                    }
                },
                "namespaceSelector": {"matchNames": [apps.namespace]},
                "endpoints": [
                    {
                        "port": apps.port,
                        "path": apps.path,
                        "interval": prom.scrape_interval,
                        **_auth(knobs),
                        "relabelings": _relabelings(prom, service, job),
                    }
                ],
            },
        }
        for service, job in prom.service_jobs
    ]


def _in_secret_dir(path: str | None, secret: str) -> str | None:
    # alertmanager/knobs.yaml names files under /etc/alertmanager/secrets/; the operator mounts
    # spec.secrets one folder per Secret.
    if path is None:
        return None
    return f"{AM_SECRETS_DIR}/{secret}/{Path(path).name}"


def _operator_knobs(am: AmKnobs, knobs: K8sKnobs) -> AmKnobs:
    secret = knobs.alertmanager.secrets_secret
    return replace(
        am,
        templates_dir=AM_CONFIG_DIR,
        pager=replace(am.pager, credentials_file=_in_secret_dir(am.pager.credentials_file, secret)),
        email=replace(
            am.email, auth_password_file=_in_secret_dir(am.email.auth_password_file, secret)
        ),
        chat=replace(am.chat, api_url_file=_in_secret_dir(am.chat.api_url_file, secret)),
    )


def _templates(am: AmKnobs) -> Path:
    # A templates_dir on this machine is the user's own templates; a path inside a container
    # (the committed knobs' /etc/alertmanager/templates) means Signalpost's.
    local = Path(am.templates_dir)
    return local if local.is_dir() and any(local.glob("*.tmpl")) else DEFAULT_TEMPLATES


def alertmanager_secret(am: AmKnobs, knobs: K8sKnobs) -> dict[str, Any]:
    """The Secret holding ``alertmanager.yaml`` and the notification templates (those of the
    knobs' ``templates_dir`` when it is a folder here, else Signalpost's)."""
    config = am_generate.build_config(_operator_knobs(am, knobs))
    templates = _templates(am)
    data = {"alertmanager.yaml": yaml.safe_dump(config, sort_keys=False, width=100)}
    data.update({p.name: p.read_text(encoding="utf-8") for p in sorted(templates.glob("*.tmpl"))})
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _metadata(knobs.alertmanager.config_secret, knobs.namespace, knobs),
        "type": "Opaque",
        "stringData": data,
    }


def secret_files(am: AmKnobs, knobs: K8sKnobs) -> list[str]:
    """The credential files the configuration reads: the keys ``secrets_secret`` must hold."""
    operator = _operator_knobs(am, knobs)
    files = [operator.pager.credentials_file, operator.email.auth_password_file]
    if operator.chat.enabled:
        files.append(operator.chat.api_url_file)
    return [Path(f).name for f in files if f is not None]


def dashboard_configmaps(dashboards: Mapping[str, str], knobs: K8sKnobs) -> list[dict[str, Any]]:
    """One ConfigMap per dashboard (file name → JSON text), labelled for the Grafana sidecar."""
    sidecar = knobs.dashboards
    objects = []
    for file, text in sorted(dashboards.items()):
        metadata = _metadata(
            f"{file.removesuffix('.json')}-dashboard",
            knobs.namespace,
            knobs,
            **{sidecar.label: sidecar.label_value},
        )
        metadata["annotations"] = {sidecar.folder_annotation: sidecar.folder}
        objects.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata,
                        "data": {file: text}})
    return objects
