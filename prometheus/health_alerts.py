"""Alerts on the health checks and the database operations the service reports."""

from __future__ import annotations

from prometheus import recording as r
from prometheus.aftermath import aftermath_rule
from prometheus.alerting import Dashboard, Rule, ServiceAlerts
from prometheus.catalog import Alert, Severity
from prometheus.inhibition import symptom_lag
from prometheus.knobs import Knobs
from prometheus.labels import CHECK_KIND, CHECK_NAME, DB_OPERATION, HEALTH_STATUS
from prometheus.promql import by, eq, match, matcher_regex, no_match, num, selector
from signalpost.health.result import Status

__all__ = ["health_alerts"]

UNHEALTHY = eq(HEALTH_STATUS, Status.UNHEALTHY)


def health_alerts(k: Knobs) -> list[Rule]:
    """HealthCheckFailing, DatabaseDown (and its aftermath), DatabaseSlow and SchemaInvalid."""
    a = k.alerts
    svc = k.service_label
    hc = k.health_checks
    special = matcher_regex((*hc.database, *hc.schema_))
    check_l = (svc, CHECK_NAME)

    def failing(*matchers: str) -> str:
        return f"max {by(check_l)} ({selector(r.HEALTH_CHECK_STATUS, UNHEALTHY, *matchers)}) == 1"

    db_ops = (svc, DB_OPERATION)
    ds = a.database_slow
    q = num(ds.quantile)
    warn = ServiceAlerts(k, Dashboard.HEALTH)
    database_down = warn(
        Alert.DATABASE_DOWN,
        severity=Severity.CRITICAL,
        expr=failing(match(CHECK_NAME, matcher_regex(hc.database))),
        for_=a.database_down.for_,
        keep_firing_for=a.database_down.keep_firing_for,
        summary="the database is unreachable",
        description=(
            f"Health check {{{{ $labels.{CHECK_NAME} }}}} has reported the database "
            f"unhealthy for {a.database_down.for_}."
        ),
    )
    return [
        warn(
            Alert.HEALTH_CHECK_FAILING,
            for_=a.health_check_failing.for_,
            expr=(
                f"max by ({svc}, {CHECK_NAME}, {CHECK_KIND}) "
                f"({selector(r.HEALTH_CHECK_STATUS, UNHEALTHY, no_match(CHECK_NAME, special))})"
                " == 1"
            ),
            summary=(f"health check {{{{ $labels.{CHECK_NAME} }}}} fails"),
            description=(
                f"The {{{{ $labels.{CHECK_KIND} }}}} health check {{{{ $labels.{CHECK_NAME} }}}} "
                "reports unhealthy."
            ),
        ),
        database_down,
        aftermath_rule(database_down, a.database_down.inhibit_for or symptom_lag(k)),
        warn(
            Alert.DATABASE_SLOW,
            for_=ds.for_,
            expr=(
                f'max {by(db_ops)} ({r.DB_LATENCY}{{quantile="{q}"}}) '
                f"> {num(ds.threshold_seconds)} "
                f"and on ({svc}, {DB_OPERATION}) {r.DB_OPERATIONS} > {num(ds.min_rate)}"
            ),
            summary=(f"database {{{{ $labels.{DB_OPERATION} }}}} is slow"),
            description=(
                f"The {num(ds.quantile * 100)}th percentile duration of "
                f"{{{{ $labels.{DB_OPERATION} }}}} statements is "
                "{{ $value | humanizeDuration }}, above "
                f"{num(ds.threshold_seconds)}s."
            ),
        ),
        warn(
            Alert.SCHEMA_INVALID,
            expr=failing(match(CHECK_NAME, matcher_regex(hc.schema_))),
            for_=a.schema_invalid.for_,
            summary="the database schema does not match",
            description=(
                f"Health check {{{{ $labels.{CHECK_NAME} }}}} has found the database schema "
                f"invalid (missing migration, table or column) for {a.schema_invalid.for_}."
            ),
        ),
    ]
