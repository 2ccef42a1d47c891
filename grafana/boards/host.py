"""Host: what node_exporter sees of the machines a service runs on (free space and its trend,
inodes, memory available and memory stalls, load per core, CPU time by mode).
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db

from grafana import panels as p
from grafana import queries as q
from grafana.boards.common import Uid, instance_variable, new_dashboard
from grafana.boards.thresholds import alert_threshold_panel
from prometheus import exporter_metrics as x
from prometheus.catalog import Alert
from prometheus.knobs import Knobs, seconds

__all__ = ["build"]

IDLE, BUSY = 'mode="idle"', 'mode!="idle"'


def _sel(*matchers: str) -> str:
    return q.sel(f'job="{x.NODE_JOB}"', q.INSTANCES, *matchers)


def build(knobs: Knobs) -> db.Dashboard:
    """The Host dashboard (node_exporter)."""
    e = knobs.exporters
    fw = e.filesystem_will_fill
    fs = _sel('fstype!=""')
    host = f"{q.INSTANCE}"
    mount = f"{{{{{q.INSTANCE}}}}} {{{{mountpoint}}}}"
    dash = new_dashboard(
        Uid.HOST,
        "Signalpost / Host",
        "node_exporter: disk, inodes, memory and CPU of the hosts the service runs on.",
        knobs,
    ).with_variable(instance_variable(x.NODE_LOAD5))
    panels = [
        alert_threshold_panel(
            knobs,
            Alert.NODE_FILESYSTEM_WILL_FILL,
            "Disk space free",
            f"Share of each file system free. NodeFilesystemWillFill warns below "
            f"{fw.max_free:.0%} when the trend reaches zero within {fw.within}.",
            "percentunit",
            [p.prom(f"{x.NODE_FS_AVAIL}{fs} / {x.NODE_FS_SIZE}{fs}", mount)],
            threshold=fw.max_free,
            bad_below=True,
            min_value=0,
            max_value=1,
        ),
        p.timeseries_panel(
            f"Free space in {fw.within} (trend of {fw.history})",
            "Where the free bytes of each file system are headed at the linear trend of the "
            "last hours: below zero, the disk fills before then.",
            "bytes",
            [
                p.prom(
                    f"predict_linear({x.NODE_FS_AVAIL}{fs}[{fw.history}], "
                    f"{seconds(fw.within):.0f})",
                    mount,
                )
            ],
            steps=[(None, p.RED), (0, p.GREEN)],
            show_thresholds=True,
        ),
        alert_threshold_panel(
            knobs,
            Alert.NODE_FILESYSTEM_INODES_LOW,
            "Inodes free",
            "Share of each file system's inodes free: at zero, no file can be created.",
            "percentunit",
            [p.prom(f"{x.NODE_FS_FILES_FREE}{fs} / {x.NODE_FS_FILES}{fs}", mount)],
            threshold=e.inodes_low.min_free,
            bad_below=True,
            min_value=0,
            max_value=1,
        ),
        alert_threshold_panel(
            knobs,
            Alert.NODE_MEMORY_PRESSURE,
            "Memory available",
            "MemAvailable over MemTotal: what can be allocated without swapping.",
            "percentunit",
            [p.prom(f"{x.NODE_MEM_AVAILABLE}{_sel()} / {x.NODE_MEM_TOTAL}{_sel()}", host)],
            threshold=e.memory_pressure.min_available,
            bad_below=True,
            min_value=0,
            max_value=1,
        ),
        p.timeseries_panel(
            "Memory stall time",
            "Share of time some task waited for memory (pressure stall information, Linux "
            "4.20+; no data on older kernels).",
            "percentunit",
            [p.prom(f"rate({x.NODE_PSI_MEMORY_WAITING}{_sel()}[{q.RATE}])", host)],
            steps=[(None, p.GREEN), (e.memory_pressure.max_stall, p.RED)],
            show_thresholds=True,
            min_value=0,
        ),
        alert_threshold_panel(
            knobs,
            Alert.NODE_CPU_SATURATED,
            "Load per core",
            "5-minute load average over the number of cores (tasks running, runnable or in "
            "uninterruptible disk wait).",
            "short",
            [
                p.prom(
                    f"max by ({host}) ({x.NODE_LOAD5}{_sel()}) / count by ({host}) "
                    f"({x.NODE_CPU}{_sel(IDLE)})",
                    host,
                )
            ],
            threshold=e.cpu_saturated.load_per_core,
            min_value=0,
        ),
        p.timeseries_panel(
            "CPU time by mode",
            "Cores busy per mode, summed over the cores (iowait high: the disk is the limit).",
            "short",
            [
                p.prom(
                    f"sum by ({host}, mode) (rate({x.NODE_CPU}{_sel(BUSY)}"
                    f"[{q.RATE}]))",
                    f"{{{{{host}}}}} {{{{mode}}}}",
                )
            ],
            stacked=True,
            span=24,
        ),
    ]
    for panel in panels:
        dash = dash.with_panel(panel)
    return dash
