"""Alerts on the host as the service itself reports it (disk and memory utilisation)."""

from __future__ import annotations

from prometheus import selfmetrics as m
from prometheus.alerting import Dashboard, Rule, ServiceAlerts
from prometheus.catalog import Alert
from prometheus.exporter_metrics import NODE_JOB
from prometheus.knobs import Knobs
from prometheus.labels import MOUNTPOINT
from prometheus.promql import by, eq, num, selector
from signalpost.semconv import health

__all__ = ["host_alerts"]



def host_alerts(k: Knobs) -> list[Rule]:
    """DiskWillFillIn24h and MemoryHigh, for services whose host no node_exporter watches."""
    a = k.alerts
    svc = k.service_label
    dk, mem = a.disk_will_fill, a.memory_high
    fs = selector(health.FILESYSTEM_UTILIZATION.name, *k.selector)
    fs_l = (svc, "instance", MOUNTPOINT)
    memory = selector(health.MEMORY_UTILIZATION.name, *k.selector)
    # Services whose host node_exporter watches get the Node* alerts; these stay for the rest.
    node_up = selector(m.UP, *k.selector, eq("job", NODE_JOB))
    fallback = f" unless on ({svc}) ({node_up} == 1)" if k.exporters.targets(NODE_JOB) else ""
    warn = ServiceAlerts(k, Dashboard.HEALTH)
    return [
        warn(
            Alert.DISK_WILL_FILL_IN_24H,
            expr=(
                f"max {by(fs_l)} (predict_linear({fs}[{dk.history}], 86400)) > 1 "
                f"and max {by(fs_l)} ({fs}) > {num(dk.min_utilization)}{fallback}"
            ),
            for_=dk.for_,
            summary=(
                f"{{{{ $labels.{MOUNTPOINT} }}}} on {{{{ $labels.instance }}}} will fill within 24h"
            ),
            description=(
                f"At the rate of the last {dk.history}, the file system at "
                f"{{{{ $labels.{MOUNTPOINT} }}}} would be {{{{ $value | humanizePercentage }}}} "
                "full in 24h."
            ),
        ),
        warn(
            Alert.MEMORY_HIGH,
            for_=mem.for_,
            expr=f"max by ({svc}, instance) ({memory}) > {num(mem.threshold)}{fallback}",
            summary=("memory on {{ $labels.instance }} is nearly full"),
            description=(
                "{{ $value | humanizePercentage }} of the host's memory is in use (threshold "
                f"{num(mem.threshold * 100)}%)."
            ),
        ),
    ]
