"""Every alert the rules define, by name, with the labels routing relies on: the one place
Prometheus rules, Alertmanager routing and inhibition, runbooks and dashboards take them from.
"""

from __future__ import annotations

from enum import StrEnum

from signalpost.semconv import attributes as attr
from signalpost.semconv import db, health, jobs, prometheus_label

__all__ = [
    "AFTERMATH",
    "DISTINGUISHING_LABELS",
    "INHIBITED_BY_DATABASE_DOWN",
    "INHIBITED_BY_SERVICE_DOWN",
    "PAGING",
    "POSTED",
    "SYMPTOM_FAMILY",
    "Alert",
    "Family",
    "Severity",
]


class Severity(StrEnum):
    """The ``severity`` label of every alert; Alertmanager routes on it."""

    CRITICAL = "critical"
    """Someone must act now: pager-style webhook and email."""
    WARNING = "warning"
    """Needs attention within hours: email."""
    INFO = "info"
    """Context for other alerts and dashboards; never notifies."""
    NONE = "none"
    """The Watchdog only: routed to its own dead man's switch receiver."""


class Alert(StrEnum):
    """Alert names (CamelCase, as the Prometheus community names alerts).

    Labels every alert carries: ``severity`` (:class:`Severity`) and ``service`` (the service
    the scraped target belongs to); job alerts add ``job_type``, route alerts ``http_route``,
    SLO alerts ``slo``; symptoms add the ``job`` that produces them (:data:`SYMPTOM_FAMILY`).
    """

    SERVICE_DOWN = "ServiceDown"
    SERVICE_DOWN_AFTERMATH = "ServiceDownAftermath"
    TARGET_MISSING = "TargetMissing"
    INSTANCE_DOWN = "InstanceDown"
    ERROR_BUDGET_BURN_FAST = "ErrorBudgetBurnFast"
    ERROR_BUDGET_BURN_SLOW = "ErrorBudgetBurnSlow"
    HIGH_LATENCY = "HighLatency"
    ERROR_SPIKE = "ErrorSpike"
    JOB_FAILED = "JobFailed"
    JOB_FAILURE_RATIO_HIGH = "JobFailureRatioHigh"
    JOB_STUCK = "JobStuck"
    JOB_NOT_SUCCEEDED = "JobNotSucceeded"
    JOB_RETRY_STORM = "JobRetryStorm"
    HEALTH_CHECK_FAILING = "HealthCheckFailing"
    DATABASE_DOWN = "DatabaseDown"
    DATABASE_DOWN_AFTERMATH = "DatabaseDownAftermath"
    DATABASE_SLOW = "DatabaseSlow"
    SCHEMA_INVALID = "SchemaInvalid"
    DISK_WILL_FILL_IN_24H = "DiskWillFillIn24h"
    MEMORY_HIGH = "MemoryHigh"
    PROMETHEUS_RULE_FAILURES = "PrometheusRuleFailures"
    PROMETHEUS_NOTIFICATIONS_FAILING = "PrometheusNotificationsFailing"
    PROMETHEUS_REMOTE_WRITE_FAILING = "PrometheusRemoteWriteFailing"
    ALERTMANAGER_NOTIFICATIONS_FAILING = "AlertmanagerNotificationsFailing"
    WATCHDOG = "Watchdog"
    EXPORTER_DOWN = "ExporterDown"
    NODE_FILESYSTEM_WILL_FILL = "NodeFilesystemWillFill"
    NODE_FILESYSTEM_INODES_LOW = "NodeFilesystemInodesLow"
    NODE_MEMORY_PRESSURE = "NodeMemoryPressure"
    NODE_CPU_SATURATED = "NodeCpuSaturated"
    POSTGRES_CONNECTIONS_NEAR_LIMIT = "PostgresConnectionsNearLimit"
    POSTGRES_LONG_TRANSACTION = "PostgresLongTransaction"
    POSTGRES_LOCKS_WAITING = "PostgresLocksWaiting"
    POSTGRES_REPLICATION_LAG = "PostgresReplicationLag"
    POSTGRES_DEADLOCKS = "PostgresDeadlocks"
    POSTGRES_CACHE_HIT_RATIO_LOW = "PostgresCacheHitRatioLow"
    PROMETHEUS_RULE_GROUP_MISSED = "PrometheusRuleGroupMissed"
    PROMETHEUS_RULE_GROUP_STALE = "PrometheusRuleGroupStale"
    PROMETHEUS_CONFIG_RELOAD_FAILED = "PrometheusConfigReloadFailed"
    PROMETHEUS_NOT_CONNECTED_TO_ALERTMANAGER = "PrometheusNotConnectedToAlertmanager"
    PROMETHEUS_REMOTE_WRITE_BEHIND = "PrometheusRemoteWriteBehind"
    ALERTMANAGER_CONFIG_RELOAD_FAILED = "AlertmanagerConfigReloadFailed"
    MONITORING_TARGET_DOWN = "MonitoringTargetDown"
    COLLECTOR_LOSING_DATA = "CollectorLosingData"
    JOB_WAITING_TOO_LONG = "JobWaitingTooLong"
    JOB_BACKLOG_GROWING = "JobBacklogGrowing"
    JOB_QUEUE_STALLED = "JobQueueStalled"
    CIRCUIT_OPEN = "CircuitOpen"
    RECOVERY_FAILED = "RecoveryFailed"


class Family(StrEnum):
    """Families of symptoms, by the scrape job whose targets produce their series.

    The knobs name the job of each family (``symptom_jobs``); every symptom alert carries it as
    its ``job`` label, so that ServiceDown of that job, and of no other, inhibits it.
    """

    HTTP = "http"
    """Requests served by the app: latency, errors, HTTP SLOs."""
    JOBS = "jobs"
    """Background job runs: failures, stuck runs, retries, job SLOs."""


SYMPTOM_FAMILY: dict[Alert, Family] = {
    Alert.HIGH_LATENCY: Family.HTTP,
    Alert.JOB_FAILED: Family.JOBS,
    Alert.JOB_FAILURE_RATIO_HIGH: Family.JOBS,
    Alert.JOB_STUCK: Family.JOBS,
    Alert.JOB_NOT_SUCCEEDED: Family.JOBS,
    Alert.JOB_RETRY_STORM: Family.JOBS,
    Alert.JOB_WAITING_TOO_LONG: Family.JOBS,
    Alert.JOB_BACKLOG_GROWING: Family.JOBS,
    Alert.JOB_QUEUE_STALLED: Family.JOBS,
}
"""Symptoms of one family (ErrorSpike keeps the ``job`` of its raw series instead). The two SLO
burn alerts take the family of their SLO's kind
(``job_success``: jobs, the others: HTTP); see :func:`prometheus.alerting.symptom_job`."""

# Symptoms a root cause explains: while the cause fires, they do not notify.
# ServiceDown explains the symptoms of its own service AND job (``equal: [service, job]``):
# the worker being down says nothing about the API's latency, and the reverse.
INHIBITED_BY_SERVICE_DOWN: tuple[Alert, ...] = (
    Alert.ERROR_BUDGET_BURN_FAST,
    Alert.ERROR_BUDGET_BURN_SLOW,
    Alert.HIGH_LATENCY,
    Alert.ERROR_SPIKE,
    Alert.JOB_FAILED,
    Alert.JOB_FAILURE_RATIO_HIGH,
    Alert.JOB_STUCK,
    Alert.JOB_NOT_SUCCEEDED,
    Alert.JOB_RETRY_STORM,
    Alert.TARGET_MISSING,
    # Jobs wait when the worker service is down; a broker that is down leaves no backlog
    # series at all (the backlog source fails), so these cannot fire on it.
    Alert.JOB_WAITING_TOO_LONG,
    Alert.JOB_BACKLOG_GROWING,
    Alert.JOB_QUEUE_STALLED,
)
INHIBITED_BY_DATABASE_DOWN: tuple[Alert, ...] = (
    Alert.ERROR_BUDGET_BURN_FAST,
    Alert.ERROR_BUDGET_BURN_SLOW,
    Alert.HIGH_LATENCY,
    Alert.ERROR_SPIKE,
    Alert.HEALTH_CHECK_FAILING,
    Alert.DATABASE_SLOW,
    Alert.JOB_FAILURE_RATIO_HIGH,
    Alert.JOB_RETRY_STORM,
    Alert.SCHEMA_INVALID,
)
"""The database is shared by every job of a service: DatabaseDown inhibits on ``service`` only.
JobFailed is inhibited by DatabaseDown only for transient failures (``error_class``)."""

AFTERMATH: dict[Alert, Alert] = {
    Alert.SERVICE_DOWN: Alert.SERVICE_DOWN_AFTERMATH,
    Alert.DATABASE_DOWN: Alert.DATABASE_DOWN_AFTERMATH,
}
"""Each cause and its inhibition-only companion (:mod:`prometheus.aftermath`): same expression,
but it keeps firing the symptoms' lag after the cause clears, so the cause itself resolves (and
the recovery runner acts) at once while its lagging symptoms stay inhibited. Severity ``info``,
routed to no one; both the cause and its aftermath are inhibition sources."""

DISTINGUISHING_LABELS: tuple[str, ...] = (
    "alertname",
    "service",
    "job",
    "instance",
    "slo",
    *(
        prometheus_label(name)
        for name in (
            jobs.JOB_TYPE,
            attr.HTTP_ROUTE,
            health.CHECK_NAME,
            health.CHECK_KIND,
            health.FILESYSTEM_MOUNTPOINT,
            db.DB_OPERATION_NAME,
            attr.ERROR_SOURCE,
            attr.ERROR_CLASS,
            attr.EXCEPTION_TYPE,
        )
    ),
    # Labels of the meta-alerts (Prometheus's and Alertmanager's own metrics).
    "rule_group",
    "integration",
    "remote_name",
    "url",
    "alertmanager",
    "component",
    "exporter",
    "receiver",
    "processor",
)
"""Every label by which two alerts of one name are different problems: a critical alert only
inhibits a warning that agrees on all of them (a label absent from both counts as equal)."""

# The paging policy (docs/alerting.md): the only alerts with a critical rule. User-visible
# symptoms and hard outages; causes warn. JobFailureRatioHigh pages only when every run of a
# job type fails (and no SLO covers it); the meta alerts page because the alerting pipeline
# itself is broken and nothing else could.
PAGING: frozenset[Alert] = frozenset(
    {
        Alert.SERVICE_DOWN,
        Alert.TARGET_MISSING,
        Alert.ERROR_BUDGET_BURN_FAST,
        Alert.DATABASE_DOWN,
        Alert.JOB_FAILURE_RATIO_HIGH,
        Alert.PROMETHEUS_RULE_FAILURES,
        Alert.PROMETHEUS_NOTIFICATIONS_FAILING,
        Alert.ALERTMANAGER_NOTIFICATIONS_FAILING,
        Alert.PROMETHEUS_RULE_GROUP_STALE,
        Alert.PROMETHEUS_NOT_CONNECTED_TO_ALERTMANAGER,
        Alert.JOB_QUEUE_STALLED,
        Alert.RECOVERY_FAILED,
    }
)

# Alerts no Prometheus rule defines: another program posts them to Alertmanager's API, with
# this severity. The recovery runner (alertmanager/recovery) posts RecoveryFailed when a
# procedure did not help; it pages, because automation failed and says what it tried.
POSTED: dict[Alert, Severity] = {Alert.RECOVERY_FAILED: Severity.CRITICAL}
"""Posted alerts and their severity (routing, runbooks and docs list them like the rules')."""
