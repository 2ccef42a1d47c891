"""promtool unit tests of the exporter alerts (``tests/exporters.test.yml``).

Series carry the labels the real exporters put on them (checked against node_exporter 1.5
and postgres_exporter 0.11.1 here) plus the ``service``, ``job`` and ``instance`` labels of
the scrape. Each alert: healthy data (quiet), the failure before its ``for`` (quiet), firing,
and the realistic shapes that must stay quiet (flickering lock waits, a statistics reset, a
busy but small database, an exporter down not counting as the service down).
"""

from __future__ import annotations

from typing import Any

from prometheus import exporter_metrics as x
from prometheus.alerting import Dashboard as D
from prometheus.catalog import Alert as A
from prometheus.catalog import Severity as S
from prometheus.exporter_unittests_pg import availability_tests, postgres_tests
from prometheus.knobs import Knobs
from prometheus.testdata import Expect, alert_group, alert_rules_under_test, alert_test, series

__all__ = ["exporter_test_file"]

_W = S.WARNING



def _node(k: Knobs, e: Expect) -> list[dict[str, Any]]:
    svc = k.services[0]
    node = {"service": svc, "job": x.NODE_JOB, "instance": "node:9100"}
    root = {**node, "device": "/dev/vda", "fstype": "ext4", "mountpoint": "/"}
    where = {"service": svc, "job": x.NODE_JOB, "instance": "node:9100"}

    def fs(avail: str, files_free: str = "900000x70", readonly: str = "0x70") -> list[Any]:
        return [
            series(x.NODE_FS_SIZE, root, "100e9x70"),
            series(x.NODE_FS_AVAIL, root, avail),
            series(x.NODE_FS_FILES, root, "1e6x70"),
            series(x.NODE_FS_FILES_FREE, root, files_free),
            series(x.NODE_FS_READONLY, root, readonly),
        ]

    def mem(available: str, stall: str = "0+1x70") -> list[Any]:
        return [
            series(x.NODE_MEM_TOTAL, node, "8e9x70"),
            series(x.NODE_MEM_AVAILABLE, node, available),
            series(x.NODE_PSI_MEMORY_WAITING, node, stall),
        ]

    def cpu(load: str) -> list[Any]:
        idle = [series(x.NODE_CPU, {**node, "cpu": c, "mode": "idle"}, "0+50x70") for c in "01"]
        return [series(x.NODE_LOAD5, node, load), *idle]

    def alert(name: A, labels: dict[str, str], summary: str, description: str) -> Any:
        return e.alert(
            name, _W, labels, summary=summary, description=description,
            dashboard=D.HOST, dashboard_vars=("instance",),
        )  # fmt: skip

    fs_labels = {**root, "job": x.NODE_JOB}
    full = alert(
        A.NODE_FILESYSTEM_WILL_FILL, fs_labels,
        f"{svc}: / on node:9100 will be full within 24h",
        "28.8% of the file system is free; at the trend of the last 6h it has no space left "
        "within 24h.",
    )  # fmt: skip
    inodes = alert(
        A.NODE_FILESYSTEM_INODES_LOW, fs_labels,
        f"{svc}: / on node:9100 is running out of inodes",
        "Only 5% of the inodes are free: new files fail with 'No space left on device' "
        "whatever the free bytes.",
    )  # fmt: skip

    def pressure(value: str) -> Any:
        return alert(
            A.NODE_MEMORY_PRESSURE, where, f"{svc}: memory pressure on node:9100",
            "Available memory is below 10% of the total, or tasks wait for memory more than "
            f"20% of the time (value: {value}).",
        )  # fmt: skip

    saturated = alert(
        A.NODE_CPU_SATURATED, where, f"{svc}: CPU saturated on node:9100",
        "The 5-minute load average is 2.5 per core (threshold 2): tasks queue for CPU or disk.",
    )  # fmt: skip
    quiet_at = "65m"
    return [
        alert_group(
            # 30% free and steady, plenty of inodes and memory, a load of 1 on 2 cores; a big
            # disk emptying fast but 80% free; a read-only image nearly full.
            [
                *fs("30e9x70"), *mem("4e9x70"), *cpu("1x70"),
                series(x.NODE_FS_AVAIL, {**root, "mountpoint": "/data"}, "80e9-30e6x70"),
                series(x.NODE_FS_SIZE, {**root, "mountpoint": "/data"}, "100e9x70"),
                series(x.NODE_FS_READONLY, {**root, "mountpoint": "/data"}, "0x70"),
                series(x.NODE_FS_AVAIL, {**root, "mountpoint": "/snap"}, "0x70"),
                series(x.NODE_FS_SIZE, {**root, "mountpoint": "/snap"}, "1e9x70"),
                series(x.NODE_FS_READONLY, {**root, "mountpoint": "/snap"}, "1x70"),
            ],
            [
                alert_test(quiet_at, A.NODE_FILESYSTEM_WILL_FILL),
                alert_test(quiet_at, A.NODE_FILESYSTEM_INODES_LOW),
                alert_test(quiet_at, A.NODE_MEMORY_PRESSURE),
                alert_test(quiet_at, A.NODE_CPU_SATURATED),
            ],
        ),
        alert_group(
            # 30% free, losing 30 MB a minute: 43 GB a day.
            fs("30e9-30e6x70", files_free="50000x70"),
            [
                alert_test("20m", A.NODE_FILESYSTEM_WILL_FILL),
                alert_test("40m", A.NODE_FILESYSTEM_WILL_FILL, full),
                alert_test("10m", A.NODE_FILESYSTEM_INODES_LOW),
                alert_test("40m", A.NODE_FILESYSTEM_INODES_LOW, inodes),
            ],
        ),
        alert_group(
            mem("0.4e9x70"),
            [
                alert_test("10m", A.NODE_MEMORY_PRESSURE),
                alert_test("20m", A.NODE_MEMORY_PRESSURE, pressure("5%")),
            ],
        ),
        # Enough memory available on paper, but tasks stall for it half of the time.
        alert_group(
            mem("4e9x70", stall="0+30x70"),
            [alert_test("25m", A.NODE_MEMORY_PRESSURE, pressure("50%"))],
        ),
        alert_group(
            cpu("5x70"),
            [
                alert_test("10m", A.NODE_CPU_SATURATED),
                alert_test("20m", A.NODE_CPU_SATURATED, saturated),
            ],
        ),
    ]


def exporter_test_file(knobs: Knobs) -> dict[str, Any]:
    """The content of ``tests/exporters.test.yml`` for the tests' knobs."""
    e = Expect(knobs)
    return {
        **alert_rules_under_test(knobs, "exporters.rules.yml"),
        "evaluation_interval": "1m",
        "tests": [
            *_node(knobs, e),
            *postgres_tests(knobs, e),
            *availability_tests(knobs, e),
        ],
    }
