"""Host and process resources through psutil: CPU, memory, disk per path, RSS, open fds.

Each run also sets the host gauges (``system_cpu_utilization_ratio``,
``system_memory_utilization_ratio``, ``system_filesystem_utilization_ratio{mountpoint}``).
The process's RSS and open descriptors are judged but not exported again: prometheus-client's
process collector already exports them (``process_resident_memory_bytes``,
``process_open_fds``).
"""

from __future__ import annotations

import dataclasses
import os
import resource
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from prometheus_client import Gauge

from signalpost import metrics
from signalpost._extras import missing_extra
from signalpost.health.checks.settings import BuiltinCheck, CheckSettings
from signalpost.health.result import CheckResult, Status, worst
from signalpost.runtime import Runtime
from signalpost.runtime import current as current_runtime
from signalpost.semconv import health as semconv

try:
    import psutil
except ImportError as _error:  # the 'resources' extra is not installed
    raise missing_extra("resources", _error) from _error

__all__ = ["ResourceThresholds", "ResourcesCheck", "Threshold"]


@dataclass(frozen=True, slots=True)
class Threshold:
    """Limits for one measurement: at or above ``degraded`` is degraded, at or above
    ``unhealthy`` unhealthy. ``None`` disables a level."""

    degraded: float | None = None
    unhealthy: float | None = None

    def judge(self, value: float) -> Status:
        """Return the status ``value`` deserves."""
        if self.unhealthy is not None and value >= self.unhealthy:
            return Status.UNHEALTHY
        if self.degraded is not None and value >= self.degraded:
            return Status.DEGRADED
        return Status.HEALTHY


@dataclass(frozen=True, slots=True)
class ResourceThresholds:
    """The limits :class:`ResourcesCheck` judges each measurement by (ratios from 0 to 1).

    Attributes:
        cpu: Host CPU utilisation.
        memory: Host memory utilisation ((total - available) / total).
        disk: Disk usage, applied to each path.
        rss_bytes: Process resident set size, in bytes.
        open_fds: The ratio of open file descriptors to the soft limit.
    """

    cpu: Threshold = Threshold(0.90, None)
    memory: Threshold = Threshold(0.90, 0.97)
    disk: Threshold = Threshold(0.85, 0.95)
    rss_bytes: Threshold = Threshold(None, None)
    open_fds: Threshold = Threshold(0.80, 0.95)


_THRESHOLD_NAMES = ("cpu", "memory", "disk", "rss_bytes", "open_fds")
_OLD_THRESHOLDS = dict.fromkeys(_THRESHOLD_NAMES, "thresholds=ResourceThresholds(...)")


def _mount_point(path: str) -> str:
    """Return the mount point of the file system holding ``path``."""
    current = os.path.realpath(path)
    while not os.path.ismount(current):
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    return current


class ResourcesCheck(BuiltinCheck):
    """Reads host and process resources and compares them with thresholds.

    Ratios are between 0 and 1. CPU is the utilisation since the previous run (the first run
    reports the time since the module was first used), so it is a smoothed view over one
    interval.

    Args:
        paths: File-system paths whose disk usage is measured (labelled by the mount
            point holding each).
        thresholds: The limits each measurement is judged by (:class:`ResourceThresholds`).
        settings: Name (default ``resources``), whether readiness depends on it (default
            false: a full disk degrades, rarely blocks), timeout (5 s) and interval (15 s).
        runtime: Where the host gauges are recorded (its registry; default
            :func:`signalpost.runtime.current`, resolved at the first run, so a check made
            before ``setup()`` records in set-up's registry).
        **deprecated: The keywords that came before ``thresholds=`` (``cpu``, ``memory``,
            ``disk``, ``rss_bytes``, ``open_fds``), ``settings=`` (``name``, ``critical``,
            ``timeout``, ``interval``) and ``runtime=`` (``registry``): they work for one
            release, with a :class:`DeprecationWarning`.
    """

    DEFAULTS = CheckSettings(name="resources", critical=False, timeout=5.0, interval=15.0)

    def __init__(
        self,
        paths: Sequence[str] = ("/",),
        *,
        thresholds: ResourceThresholds | None = None,
        settings: CheckSettings | None = None,
        runtime: Runtime | None = None,
        **deprecated: Any,
    ) -> None:
        given = self._settle(settings, deprecated, ("registry",), _OLD_THRESHOLDS)
        limits = {name: given.pop(name) for name in _THRESHOLD_NAMES if name in given}
        self._given = given
        chosen = dataclasses.replace(thresholds or ResourceThresholds(), **limits)
        self.paths = tuple(paths)
        self.thresholds = {name: getattr(chosen, name) for name in _THRESHOLD_NAMES}
        self._process = psutil.Process()
        self._runtime = runtime
        self._gauges: tuple[Gauge, Gauge, Gauge] | None = None

    def _resolve_gauges(self) -> tuple[Gauge, Gauge, Gauge]:
        """The host gauges in the runtime's registry, resolved at the first run (creating
        them twice, from two threads, gives the same gauges)."""
        gauges = self._gauges
        if gauges is None:
            shared = self._runtime if self._runtime is not None else current_runtime()
            registry = shared.with_overrides(**self._given).registry
            gauges = self._gauges = (
                metrics.gauge(semconv.CPU_UTILIZATION, registry),
                metrics.gauge(semconv.MEMORY_UTILIZATION, registry),
                metrics.gauge(semconv.FILESYSTEM_UTILIZATION, registry),
            )
        return gauges

    def run(self) -> CheckResult:
        """Measure (blocking psutil calls: the monitor runs this in a thread) and judge."""
        cpu_gauge, memory_gauge, disk_gauge = self._resolve_gauges()
        problems: list[str] = []
        statuses: list[Status] = []
        details: dict[str, Any] = {}

        def judge(key: str, label: str, value: float, shown: str) -> None:
            status = self.thresholds[key].judge(value)
            statuses.append(status)
            if status is not Status.HEALTHY:
                problems.append(f"{label} {shown} ({status.value})")

        cpu = psutil.cpu_percent(interval=None) / 100.0
        cpu_gauge.set(cpu)
        details["cpu_utilization"] = round(cpu, 4)
        judge("cpu", "cpu", cpu, f"{cpu:.0%}")

        memory = psutil.virtual_memory()
        used = (memory.total - memory.available) / memory.total if memory.total else 0.0
        memory_gauge.set(used)
        details["memory_utilization"] = round(used, 4)
        details["memory_available_bytes"] = memory.available
        judge("memory", "memory", used, f"{used:.0%}")

        disks: dict[str, Any] = {}
        for path in self.paths:
            try:
                usage = psutil.disk_usage(path)
            except OSError as error:
                statuses.append(Status.UNHEALTHY)
                problems.append(f"disk {path}: {error.strerror or error}")
                disks[path] = {"error": str(error.strerror or error)}
                continue
            ratio = usage.used / (usage.used + usage.free) if usage.used + usage.free else 0.0
            disk_gauge.labels(_mount_point(path)).set(ratio)
            disks[path] = {"utilization": round(ratio, 4), "free_bytes": usage.free}
            judge("disk", f"disk {path}", ratio, f"{ratio:.0%}")
        details["disk"] = disks

        with self._process.oneshot():
            rss = self._process.memory_info().rss
            fds = self._process.num_fds()
        details["process_rss_bytes"] = rss
        judge("rss_bytes", "process RSS", rss, f"{rss / 2**20:.0f} MiB")
        soft_limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        details["process_open_fds"] = fds
        if soft_limit > 0:
            details["process_fd_limit"] = soft_limit
            judge("open_fds", "open file descriptors", fds / soft_limit, f"{fds}/{soft_limit}")

        status = worst(*statuses)
        if status is Status.HEALTHY:
            return CheckResult.healthy(**details)
        return CheckResult(status, details, "; ".join(problems))
