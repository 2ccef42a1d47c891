"""Metrics of Prometheus and Alertmanager themselves, which signalpost's semconv does not define.

The one place these names are typed: meta-monitoring rules and their tests read them here.
"""

from __future__ import annotations

__all__ = [
    "ALERTMANAGER_NOTIFICATIONS",
    "ALERTMANAGER_NOTIFICATIONS_FAILED",
    "PROMETHEUS_NOTIFICATIONS_ERRORS",
    "PROMETHEUS_NOTIFICATIONS_SENT",
    "PROMETHEUS_REMOTE_SAMPLES_FAILED",
    "PROMETHEUS_RULE_EVALUATION_FAILURES",
    "UP",
]

UP = "up"
"""1 when the last scrape of a target succeeded, 0 otherwise (written by Prometheus)."""
PROMETHEUS_RULE_EVALUATION_FAILURES = "prometheus_rule_evaluation_failures_total"
PROMETHEUS_NOTIFICATIONS_ERRORS = "prometheus_notifications_errors_total"
PROMETHEUS_NOTIFICATIONS_SENT = "prometheus_notifications_sent_total"
PROMETHEUS_REMOTE_SAMPLES_FAILED = "prometheus_remote_storage_samples_failed_total"
"""Samples remote write gave up on (a receiver's 4xx answer, e.g. out of order): dropped."""
ALERTMANAGER_NOTIFICATIONS_FAILED = "alertmanager_notifications_failed_total"
ALERTMANAGER_NOTIFICATIONS = "alertmanager_notifications_total"
