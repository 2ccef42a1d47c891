"""Health-check and host-resource metrics.

Check status is exposed enum-style, one series per possible status with value 1 for the current
one and 0 for the others (as kube-state-metrics does for pod phases), so an alert is a plain
selector (``signalpost_health_check_status{status="unhealthy", kind="critical"} == 1``) and a
Grafana state timeline can map the three series without a value-mapping table.
"""

from __future__ import annotations

from signalpost.semconv._spec import MetricSpec

__all__ = [
    "CHECK_DURATION",
    "CHECK_KIND",
    "CHECK_LAST_SUCCESS",
    "CHECK_NAME",
    "CHECK_STATUS",
    "CPU_UTILIZATION",
    "DEFAULT_DURATION_BUCKETS",
    "FILESYSTEM_MOUNTPOINT",
    "FILESYSTEM_UTILIZATION",
    "HEALTH_STATUS",
    "HOST_METRICS",
    "KIND_CRITICAL",
    "KIND_NON_CRITICAL",
    "MEMORY_UTILIZATION",
    "STATUS",
]

# Signalpost's own keys: no semantic convention covers health checks.
CHECK_NAME = "health.check.name"
CHECK_KIND = "health.check.kind"
STATUS = "health.status"
# The mount point of the file system holding a configured path.
FILESYSTEM_MOUNTPOINT = "system.filesystem.mountpoint"

KIND_CRITICAL = "critical"
KIND_NON_CRITICAL = "non_critical"

DEFAULT_DURATION_BUCKETS: tuple[float, ...] = (
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)

CHECK_STATUS = MetricSpec(
    name="signalpost_health_check_status",
    kind="gauge",
    unit="",
    help="1 for the check's current status (healthy, degraded or unhealthy), 0 for the others.",
    attributes=(CHECK_NAME, CHECK_KIND, STATUS),
    otel_name="signalpost.health.check.status",
    otel_unit="1",
    multiprocess_mode="livemax",
)

CHECK_DURATION = MetricSpec(
    name="signalpost_health_check_duration_seconds",
    kind="histogram",
    unit="seconds",
    help="Duration of health-check runs, timed-out runs included.",
    attributes=(CHECK_NAME, CHECK_KIND),
    otel_name="signalpost.health.check.duration",
    otel_unit="s",
    buckets=DEFAULT_DURATION_BUCKETS,
)

CHECK_LAST_SUCCESS = MetricSpec(
    name="signalpost_health_check_last_success_timestamp_seconds",
    kind="gauge",
    unit="seconds",
    help="Unix time of the check's last healthy or degraded result.",
    attributes=(CHECK_NAME, CHECK_KIND),
    otel_name="signalpost.health.check.last_success",
    otel_unit="s",
    multiprocess_mode="livemax",
)

HEALTH_STATUS = MetricSpec(
    name="signalpost_health_status",
    kind="gauge",
    unit="",
    help="1 for the overall health status of the process, 0 for the other statuses.",
    attributes=(STATUS,),
    otel_name="signalpost.health.status",
    otel_unit="1",
    multiprocess_mode="livemax",
)

CPU_UTILIZATION = MetricSpec(
    name="system_cpu_utilization_ratio",
    kind="gauge",
    unit="ratio",
    help="Host CPU utilisation between two readings, from 0 to 1, all CPUs together.",
    attributes=(),
    otel_name="system.cpu.utilization",
    otel_unit="1",
    multiprocess_mode="livemostrecent",
)

MEMORY_UTILIZATION = MetricSpec(
    name="system_memory_utilization_ratio",
    kind="gauge",
    unit="ratio",
    help="Host memory in use, from 0 to 1 (total minus available, over total).",
    attributes=(),
    otel_name="system.memory.utilization",
    otel_unit="1",
    multiprocess_mode="livemostrecent",
)

FILESYSTEM_UTILIZATION = MetricSpec(
    name="system_filesystem_utilization_ratio",
    kind="gauge",
    unit="ratio",
    help="Used fraction of the file system mounted at each mount point, from 0 to 1.",
    attributes=(FILESYSTEM_MOUNTPOINT,),
    otel_name="system.filesystem.utilization",
    otel_unit="1",
    multiprocess_mode="livemostrecent",
)

HOST_METRICS: tuple[MetricSpec, ...] = (
    CPU_UTILIZATION,
    MEMORY_UTILIZATION,
    FILESYSTEM_UTILIZATION,
)
