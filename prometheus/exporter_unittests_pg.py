"""promtool unit tests of the PostgreSQL and exporter-availability alerts (see
:mod:`prometheus.exporter_unittests`)."""

from __future__ import annotations

from typing import Any

from prometheus import exporter_metrics as x
from prometheus import selfmetrics as m
from prometheus.alerting import Dashboard as D
from prometheus.catalog import Alert as A
from prometheus.catalog import Severity as S
from prometheus.knobs import Knobs
from prometheus.testdata import Expect, alert_group, alert_test, series
from signalpost.semconv import health

__all__ = ["availability_tests", "postgres_tests"]

_W = S.WARNING



def postgres_tests(k: Knobs, e: Expect) -> list[dict[str, Any]]:
    """Every PostgreSQL alert: healthy, not yet, firing, and the shapes that must stay quiet."""
    svc = k.services[0]
    pg = {"service": svc, "job": x.POSTGRES_JOB, "instance": "pg-exporter:9187",
          "server": "db:5432"}  # fmt: skip
    app = {**pg, "datname": "app"}
    server = {"service": svc, "job": x.POSTGRES_JOB, "instance": "pg-exporter:9187"}
    db = {**server, "datname": "app"}

    def alert(name: A, labels: dict[str, str], summary: str, description: str) -> Any:
        return e.alert(
            name, _W, labels, summary=summary, description=description,
            dashboard=D.POSTGRES, dashboard_vars=("instance",),
        )  # fmt: skip

    def conns(idle: str, active: str) -> list[Any]:
        return [
            series(x.PG_MAX_CONNECTIONS, pg, "50x70"),
            series(x.PG_CONNECTIONS, {**app, "state": "idle"}, idle),
            series(x.PG_CONNECTIONS, {**app, "state": "active"}, active),
            series(x.PG_CONNECTIONS, {**app, "state": "idle in transaction"}, "0x70"),
        ]

    def blocks(hit: str, read: str) -> list[Any]:
        return [series(x.PG_BLKS_HIT, app, hit), series(x.PG_BLKS_READ, app, read)]

    near = alert(
        A.POSTGRES_CONNECTIONS_NEAR_LIMIT, server,
        f"{svc}: PostgreSQL pg-exporter:9187 is near max_connections",
        "90% of max_connections are in use: new connections will soon be refused.",
    )  # fmt: skip
    long_tx = alert(
        A.POSTGRES_LONG_TRANSACTION, db, f"{svc}: long transaction in app",
        "A transaction in app on pg-exporter:9187 has been open for 10m 0s: it holds locks "
        "and keeps vacuum from removing dead rows.",
    )  # fmt: skip
    locks = alert(
        A.POSTGRES_LOCKS_WAITING, server,
        f"{svc}: queries wait for locks on PostgreSQL pg-exporter:9187",
        "3 lock requests have been waiting, continuously for 5m: a transaction holds locks "
        "others need.",
    )  # fmt: skip
    lag = alert(
        A.POSTGRES_REPLICATION_LAG, server,
        f"{svc}: replica pg-exporter:9187 lags behind its primary",
        "The replica has not replayed the primary's changes of the last 2m 0s: reads from it "
        "return stale data.",
    )  # fmt: skip
    deadlock = alert(
        A.POSTGRES_DEADLOCKS, db, f"{svc}: deadlocks in app",
        "About 1 deadlocks in app in the last 10m: PostgreSQL aborted a transaction of each "
        "to break them.",
    )  # fmt: skip
    cache = alert(
        A.POSTGRES_CACHE_HIT_RATIO_LOW, db, f"{svc}: low cache hit ratio in app",
        "Only 83.33% of block reads over the last 30m came from shared buffers (threshold "
        "90%): queries go to disk.",
    )  # fmt: skip
    tx = x.PG_MAX_TX_DURATION
    quiet_at = "65m"
    return [
        alert_group(
            [
                *conns("10x70", "5x70"),
                series(tx, {**app, "state": "active"}, "0.5x70"),
                series(x.PG_LOCKS_WAITING, pg, "0x70"),
                # A primary: its lag is 0; a misread lag without the replica flag is ignored.
                series(x.PG_REPLICATION_LAG, pg, "100x70"),
                series(x.PG_REPLICATION_IS_REPLICA, pg, "0x70"),
                series(x.PG_DEADLOCKS, app, "0x70"),
                *blocks("0+60000x70", "0+60x70"),
                # A small database going to disk: too few accesses to judge.
                series(x.PG_BLKS_HIT, {**pg, "datname": "small"}, "0+600x70"),
                series(x.PG_BLKS_READ, {**pg, "datname": "small"}, "0+300x70"),
            ],
            [
                alert_test(quiet_at, A.POSTGRES_CONNECTIONS_NEAR_LIMIT),
                alert_test(quiet_at, A.POSTGRES_LONG_TRANSACTION),
                alert_test(quiet_at, A.POSTGRES_LOCKS_WAITING),
                alert_test(quiet_at, A.POSTGRES_REPLICATION_LAG),
                alert_test(quiet_at, A.POSTGRES_DEADLOCKS),
                alert_test(quiet_at, A.POSTGRES_CACHE_HIT_RATIO_LOW),
            ],
        ),
        alert_group(
            conns("30x70", "15x70"),
            [
                alert_test("3m", A.POSTGRES_CONNECTIONS_NEAR_LIMIT),
                alert_test("10m", A.POSTGRES_CONNECTIONS_NEAR_LIMIT, near),
            ],
        ),
        # A session left idle in transaction: its age grows a minute a minute.
        alert_group(
            [series(tx, {**app, "state": "idle in transaction"}, "0+60x70")],
            [
                alert_test("7m", A.POSTGRES_LONG_TRANSACTION),
                alert_test("10m", A.POSTGRES_LONG_TRANSACTION, long_tx),
            ],
        ),
        alert_group(
            [series(x.PG_LOCKS_WAITING, pg, "3x70")],
            [
                alert_test("4m", A.POSTGRES_LOCKS_WAITING),
                alert_test("10m", A.POSTGRES_LOCKS_WAITING, locks),
            ],
        ),
        # Short waits come and go: never waiting all along, never an alert.
        alert_group(
            [series(x.PG_LOCKS_WAITING, pg, "0 2 " * 35)],
            [alert_test("60m", A.POSTGRES_LOCKS_WAITING)],
        ),
        alert_group(
            [
                series(x.PG_REPLICATION_LAG, pg, "120x70"),
                series(x.PG_REPLICATION_IS_REPLICA, pg, "1x70"),
            ],
            [
                alert_test("4m", A.POSTGRES_REPLICATION_LAG),
                alert_test("10m", A.POSTGRES_REPLICATION_LAG, lag),
            ],
        ),
        # One deadlock at minute 11: fires at once, clears once out of the window. A
        # statistics reset (the counter back to 0) is no deadlock.
        alert_group(
            [
                series(x.PG_DEADLOCKS, app, "0x10 1x60"),
                series(x.PG_DEADLOCKS, {**pg, "datname": "other"}, "5x10 0x60"),
            ],
            [
                alert_test("10m", A.POSTGRES_DEADLOCKS),
                alert_test("15m", A.POSTGRES_DEADLOCKS, deadlock),
                alert_test("25m", A.POSTGRES_DEADLOCKS),
            ],
        ),
        # 100 hits and 20 reads a second: 83% from the cache. The counters start with the
        # test, so the 30m rates reach 100 accesses a second at 26m: firing from 56m.
        alert_group(
            blocks("0+6000x70", "0+1200x70"),
            [
                alert_test("50m", A.POSTGRES_CACHE_HIT_RATIO_LOW),
                alert_test("60m", A.POSTGRES_CACHE_HIT_RATIO_LOW, cache),
            ],
        ),
    ]


def availability_tests(k: Knobs, e: Expect) -> list[dict[str, Any]]:
    """ExporterDown, ServiceDown leaving exporters out, and the in-app host alerts as fallback."""
    svc = k.services[0]
    node = {"service": svc, "job": x.NODE_JOB, "instance": "node:9100"}
    app = {"service": svc, "job": "app", "instance": "app:8000"}
    worker = {"service": svc, "job": "worker", "instance": "worker:8000"}
    down = e.alert(
        A.EXPORTER_DOWN, _W, {**node},
        summary=f"{svc}: node exporter node:9100 is down",
        description=(
            "Scrapes of node:9100 have failed for 5m: the node alerts and panels of this host "
            "or database see nothing."
        ),
        dashboard=D.HEALTH,
    )  # fmt: skip
    mount = {**app, "system_filesystem_mountpoint": "/var/lib/postgresql"}
    disk = e.alert(
        A.DISK_WILL_FILL_IN_24H, _W,
        {"service": svc, "instance": "app:8000",
         "system_filesystem_mountpoint": "/var/lib/postgresql"},
        summary=f"{svc}: /var/lib/postgresql on app:8000 will fill within 24h",
        description=(
            "At the rate of the last 6h, the file system at /var/lib/postgresql would be "
            "134% full in 24h."
        ),
        dashboard=D.HEALTH,
    )  # fmt: skip
    filling = series(health.FILESYSTEM_UTILIZATION.name, mount, "0.6+0.0005x70")
    return [
        alert_group(
            [series(m.UP, node, "1x20"), series(m.UP, app, "1x20")],
            [alert_test("15m", A.EXPORTER_DOWN)],
        ),
        # node_exporter down, the app up: a warning, not the service down.
        alert_group(
            # Every listed job answers (a job without targets is ServiceDown too).
            [series(m.UP, node, "0x20"), series(m.UP, app, "1x20"), series(m.UP, worker, "1x20")],
            [
                alert_test("3m", A.EXPORTER_DOWN),
                alert_test("10m", A.EXPORTER_DOWN, down),
                alert_test("10m", A.SERVICE_DOWN),
                alert_test("10m", A.INSTANCE_DOWN),
            ],
        ),
        # While node_exporter answers, its alerts replace the in-app disk and memory ones ...
        alert_group(
            [filling, series(m.UP, node, "1x70")],
            [alert_test("40m", A.DISK_WILL_FILL_IN_24H)],
        ),
        # ... which come back when it stops answering.
        alert_group(
            [filling, series(m.UP, node, "0x70")],
            [alert_test("40m", A.DISK_WILL_FILL_IN_24H, disk)],
        ),
    ]
