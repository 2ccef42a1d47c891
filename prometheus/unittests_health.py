"""promtool unit tests of the health-check and host alerts (``alerts.test.yml``)."""

from __future__ import annotations

from typing import Any

from prometheus.alerting import Dashboard as D
from prometheus.catalog import Alert as A
from prometheus.catalog import Severity as S
from prometheus.knobs import Knobs
from prometheus.testdata import (
    Expect,
    ServiceExpect,
    alert_group,
    alert_test,
    bucket_series,
    series,
)
from signalpost.semconv import db, health

__all__ = ["database_down", "health_tests", "host_tests"]


def database_down(e: Expect, svc: str) -> dict[str, Any]:
    """DatabaseDown of ``svc`` firing on its ``postgres`` check (``for: 1m`` in the knobs)."""
    return e.alert(
        A.DATABASE_DOWN,
        S.CRITICAL,
        {"service": svc, "health_check_name": "postgres"},
        summary=f"{svc}: the database is unreachable",
        description="Health check postgres has reported the database unhealthy for 1m.",
        dashboard=D.HEALTH,
    )


def health_tests(k: Knobs, e: Expect) -> list[dict[str, Any]]:
    """HealthCheckFailing, DatabaseDown, SchemaInvalid and DatabaseSlow (1-minute interval)."""
    svc = k.services[0]
    app = {"service": svc, "job": "app", "instance": "app:8000"}
    status = health.CHECK_STATUS.name

    def check(name: str, kind: str, now: str, steps: int = 40) -> list[dict[str, str]]:
        out = []
        for st in ("healthy", "degraded", "unhealthy"):
            lab = {**app, "health_check_name": name, "health_check_kind": kind, "health_status": st}
            out.append(series(status, lab, f"1x{steps}" if st == now else f"0x{steps}"))
        return out

    expect = ServiceExpect(e, svc, D.HEALTH)

    def failing(severity: S) -> dict[str, Any]:
        return expect(
            A.HEALTH_CHECK_FAILING,
            severity,
            "health check redis fails",
            "The non_critical health check redis reports unhealthy.",
            health_check_name="redis",
            health_check_kind="non_critical",
        )

    down = database_down(e, svc)
    schema = expect(
        A.SCHEMA_INVALID,
        S.WARNING,
        "the database schema does not match",
        (
            "Health check schema has found the database schema invalid (missing migration, "
            "table or column) for 5m."
        ),
        health_check_name="schema",
    )

    def slow(severity: S) -> dict[str, Any]:
        return expect(
            A.DATABASE_SLOW,
            severity,
            "database SELECT is slow",
            "The 99th percentile duration of SELECT statements is 995ms, above 0.5s.",
            db_operation_name="SELECT",
        )

    select = {**app, "db_system_name": "postgresql", "db_operation_name": "SELECT"}
    return [
        alert_group(
            [
                *check("postgres", "critical", "healthy"),
                *check("schema", "critical", "healthy"),
                *check("redis", "non_critical", "degraded"),
                *bucket_series(db.OPERATION_DURATION, select, 60, 0.01, 40),
            ],
            [
                alert_test("35m", A.HEALTH_CHECK_FAILING),
                alert_test("35m", A.DATABASE_DOWN),
                alert_test("35m", A.SCHEMA_INVALID),
                alert_test("35m", A.DATABASE_SLOW),
            ],
        ),
        alert_group(
            check("redis", "non_critical", "unhealthy"),
            [
                alert_test("4m", A.HEALTH_CHECK_FAILING),
                alert_test("7m", A.HEALTH_CHECK_FAILING, failing(S.WARNING)),
                alert_test("38m", A.HEALTH_CHECK_FAILING, failing(S.WARNING)),
            ],
        ),
        # The database and schema checks fire their own alerts, not HealthCheckFailing.
        alert_group(
            [
                *check("postgres", "critical", "unhealthy"),
                *check("schema", "critical", "unhealthy"),
            ],
            [
                alert_test("0m", A.DATABASE_DOWN),
                alert_test("2m", A.DATABASE_DOWN, down),
                alert_test("3m", A.SCHEMA_INVALID),
                alert_test("6m", A.SCHEMA_INVALID, schema),
                alert_test("32m", A.HEALTH_CHECK_FAILING),
            ],
        ),
        alert_group(
            bucket_series(db.OPERATION_DURATION, select, 60, 0.5, 40),
            [
                alert_test("5m", A.DATABASE_SLOW),
                alert_test("12m", A.DATABASE_SLOW, slow(S.WARNING)),
                alert_test("38m", A.DATABASE_SLOW, slow(S.WARNING)),
            ],
        ),
    ]


def host_tests(k: Knobs, e: Expect) -> list[dict[str, Any]]:
    """DiskWillFillIn24h and MemoryHigh (1-minute interval)."""
    svc = k.services[0]
    host = {"service": svc, "job": "app", "instance": "app:8000"}
    mount = {**host, "system_filesystem_mountpoint": "/var/lib/postgresql"}
    fs = health.FILESYSTEM_UTILIZATION.name
    mem = health.MEMORY_UTILIZATION.name
    expect = ServiceExpect(e, svc, D.HEALTH)
    disk = expect(
        A.DISK_WILL_FILL_IN_24H,
        S.WARNING,
        "/var/lib/postgresql on app:8000 will fill within 24h",
        (
            "At the rate of the last 6h, the file system at /var/lib/postgresql would be "
            "134% full in 24h."
        ),
        instance="app:8000",
        system_filesystem_mountpoint="/var/lib/postgresql",
    )

    def memory(severity: S) -> dict[str, Any]:
        return expect(
            A.MEMORY_HIGH,
            severity,
            "memory on app:8000 is nearly full",
            "95% of the host's memory is in use (threshold 90%).",
            instance="app:8000",
        )

    return [
        alert_group(
            [
                series(fs, mount, "0.6x70"),
                # Growing fast but far from full.
                series(fs, {**host, "system_filesystem_mountpoint": "/tmp"}, "0.1+0.001x70"),
                series(mem, host, "0.5x70"),
            ],
            [alert_test("65m", A.DISK_WILL_FILL_IN_24H), alert_test("65m", A.MEMORY_HIGH)],
        ),
        alert_group(
            [series(fs, mount, "0.6+0.0005x70")],
            [
                alert_test("20m", A.DISK_WILL_FILL_IN_24H),
                alert_test("40m", A.DISK_WILL_FILL_IN_24H, disk),
            ],
        ),
        alert_group(
            [series(mem, host, "0.95x70")],
            [
                alert_test("10m", A.MEMORY_HIGH),
                alert_test("17m", A.MEMORY_HIGH, memory(S.WARNING)),
                alert_test("68m", A.MEMORY_HIGH, memory(S.WARNING)),
            ],
        ),
    ]
