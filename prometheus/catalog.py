"""Every alert the rules define, by name, with the labels routing relies on: the one place
Prometheus rules, Alertmanager routing and inhibition, runbooks and dashboards take them from.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "INHIBITED_BY_DATABASE_DOWN",
    "INHIBITED_BY_SERVICE_DOWN",
    "PAGING",
    "Alert",
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
    SLO alerts ``slo``.
    """

    SERVICE_DOWN = "ServiceDown"
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
    DATABASE_SLOW = "DatabaseSlow"
    SCHEMA_INVALID = "SchemaInvalid"
    DISK_WILL_FILL_IN_24H = "DiskWillFillIn24h"
    MEMORY_HIGH = "MemoryHigh"
    PROMETHEUS_RULE_FAILURES = "PrometheusRuleFailures"
    PROMETHEUS_NOTIFICATIONS_FAILING = "PrometheusNotificationsFailing"
    PROMETHEUS_REMOTE_WRITE_FAILING = "PrometheusRemoteWriteFailing"
    ALERTMANAGER_NOTIFICATIONS_FAILING = "AlertmanagerNotificationsFailing"
    WATCHDOG = "Watchdog"
    CIRCUIT_OPEN = "CircuitOpen"


# Symptoms a root cause explains, on the same service: while the cause fires, they do not notify.
INHIBITED_BY_SERVICE_DOWN: tuple[Alert, ...] = (
    Alert.ERROR_BUDGET_BURN_FAST,
    Alert.ERROR_BUDGET_BURN_SLOW,
    Alert.HIGH_LATENCY,
    Alert.ERROR_SPIKE,
    Alert.HEALTH_CHECK_FAILING,
    Alert.JOB_NOT_SUCCEEDED,
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
)
"""JobFailed is inhibited by DatabaseDown only for transient failures (``error_class``)."""

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
    }
)
