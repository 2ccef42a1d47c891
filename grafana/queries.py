"""PromQL and LogQL building blocks: metric and label names from the metric definitions, the
Grafana variables every dashboard shares, and the log field names Loki derives from attributes.
"""

from __future__ import annotations

from alertmanager.recovery import metrics as recovery_metrics
from prometheus.labels import (
    CHECK_KIND,
    CHECK_NAME,
    DB_OPERATION,
    ERROR_CLASS,
    ERROR_SOURCE,
    EXCEPTION_TYPE,
    FAILED_STATUSES,
    HEALTH_STATUS,
    JOB_STATUS,
    JOB_TYPE,
    METHOD,
    MOUNTPOINT,
    ROUTE,
    STATUS_CODE,
)
from signalpost.health.result import Status
from signalpost.semconv import prometheus_label
from signalpost.semconv._spec import MetricSpec
from signalpost.semconv.process import PROCESS_COLLECTOR_METRICS

__all__ = [
    "ALERTMANAGER_ALERTS",
    "ALERTS",
    "CHECK_KIND",
    "CHECK_NAME",
    "DB_OPERATION",
    "ERROR_CLASS",
    "ERROR_SOURCE",
    "EXCEPTION_TYPE",
    "FAILED_STATUSES",
    "HEALTH_STATUS",
    "INSTANCE",
    "INSTANCES",
    "JOB_STATUS",
    "JOB_TYPE",
    "METHOD",
    "MOUNTPOINT",
    "RATE",
    "ROUTE",
    "SERVICE",
    "STACK_METRICS",
    "STATUS_CODE",
    "STREAM",
    "VARIABLES",
    "bucket",
    "count",
    "field",
    "name",
    "sel",
    "total",
]

RATE = "$__rate_interval"
"""The rate window Grafana picks from the scrape interval (at least four scrapes)."""

SERVICE = "service"
"""The label prometheus.yml puts on every target of a service (``knobs.services``)."""
INSTANCE = "instance"
"""The label Prometheus puts on every target: one replica (process) of a service."""
INSTANCES = f'{INSTANCE}=~"$instance"'
"""The replicas chosen in the ``instance`` variable (raw series only: recordings aggregate
over instances)."""

UNHEALTHY = str(Status.UNHEALTHY)

VARIABLES: dict[str, str] = {
    "service": SERVICE,
    "instance": INSTANCE,
    "http_route": ROUTE,
    "job_type": JOB_TYPE,
}
"""Dashboard variable name → the label it selects on (multi-value variables match ``=~``)."""


def sel(*matchers: str, service: bool = True) -> str:
    """A label selector body, scoped to the ``$service`` variable unless ``service=False``."""
    parts = ([f'{SERVICE}="$service"'] if service else []) + list(matchers)
    return "{" + ", ".join(parts) + "}"


def name(spec: MetricSpec) -> str:
    """The series name of a gauge (or any metric's family name)."""
    return spec.name


def total(spec: MetricSpec) -> str:
    """The series name of a counter."""
    if spec.kind != "counter":
        raise ValueError(f"{spec.name} is a {spec.kind}, not a counter")
    return spec.exposition_name


def bucket(spec: MetricSpec) -> str:
    """The ``_bucket`` series of a histogram."""
    if spec.kind != "histogram":
        raise ValueError(f"{spec.name} is a {spec.kind}, not a histogram")
    return f"{spec.name}_bucket"


def count(spec: MetricSpec) -> str:
    """The ``_count`` series of a histogram."""
    if spec.kind != "histogram":
        raise ValueError(f"{spec.name} is a {spec.kind}, not a histogram")
    return f"{spec.name}_count"


# Series of the monitoring stack itself (not signalpost's): the metric-name check allows these.
ALERTS = "ALERTS"
"""Prometheus's series of pending and firing alerts (``alertname``, ``alertstate``, labels)."""
ALERTMANAGER_ALERTS = "alertmanager_alerts"
"""Alertmanager's own gauge of the alerts it holds, by ``state`` (active, suppressed)."""
STACK_METRICS = frozenset({
    ALERTS, ALERTMANAGER_ALERTS, "up", *PROCESS_COLLECTOR_METRICS, *recovery_metrics.SERIES,
})

# Loki 3's OTLP ingestion: resource attribute service.name becomes the `service_name` stream
# label; log attributes become structured metadata, their keys sanitised like Prometheus labels.
STREAM = '{service_name="$service"}'


def field(attribute: str) -> str:
    """The Loki structured-metadata name of a log attribute (``job.id`` → ``job_id``)."""
    return prometheus_label(attribute)
