"""Metrics of Prometheus and Alertmanager themselves, which signalpost's semconv does not define.

The one place these names are typed: meta-monitoring rules and their tests read them here.
"""

from __future__ import annotations

__all__ = [
    "ALERTMANAGER_CONFIG_RELOAD_OK",
    "ALERTMANAGER_NOTIFICATIONS",
    "ALERTMANAGER_NOTIFICATIONS_FAILED",
    "COLLECTOR_LOSSES",
    "PROMETHEUS_ALERTMANAGERS_DISCOVERED",
    "PROMETHEUS_CONFIG_RELOAD_OK",
    "PROMETHEUS_JOB",
    "PROMETHEUS_NOTIFICATIONS_ERRORS",
    "PROMETHEUS_NOTIFICATIONS_SENT",
    "PROMETHEUS_REMOTE_HIGHEST_SENT",
    "PROMETHEUS_REMOTE_HIGHEST_TIMESTAMP_IN",
    "PROMETHEUS_REMOTE_SAMPLES_FAILED",
    "PROMETHEUS_RULE_EVALUATION_FAILURES",
    "PROMETHEUS_RULE_GROUP_INTERVAL",
    "PROMETHEUS_RULE_GROUP_ITERATIONS_MISSED",
    "PROMETHEUS_RULE_GROUP_LAST_EVALUATION",
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
PROMETHEUS_RULE_GROUP_ITERATIONS_MISSED = "prometheus_rule_group_iterations_missed_total"
"""Evaluations of a rule group skipped because the previous one overran its interval."""
PROMETHEUS_RULE_GROUP_LAST_EVALUATION = "prometheus_rule_group_last_evaluation_timestamp_seconds"
"""Unix time of a group's last evaluation; 0 until its first."""
PROMETHEUS_RULE_GROUP_INTERVAL = "prometheus_rule_group_interval_seconds"
PROMETHEUS_CONFIG_RELOAD_OK = "prometheus_config_last_reload_successful"
ALERTMANAGER_CONFIG_RELOAD_OK = "alertmanager_config_last_reload_successful"
"""1 when the last configuration (re)load worked; a failed reload keeps the old one running."""
PROMETHEUS_ALERTMANAGERS_DISCOVERED = "prometheus_notifications_alertmanagers_discovered"
PROMETHEUS_REMOTE_HIGHEST_TIMESTAMP_IN = "prometheus_remote_storage_highest_timestamp_in_seconds"
"""Newest sample appended to the local storage (what remote write could send)."""
PROMETHEUS_REMOTE_HIGHEST_SENT = "prometheus_remote_storage_queue_highest_sent_timestamp_seconds"
"""Newest sample a remote-write queue has sent successfully (per ``remote_name``)."""
PROMETHEUS_JOB = "prometheus"
"""The scrape job of the Prometheus that evaluates the alerts and sends them to Alertmanager
(the long-term stores send nothing)."""
COLLECTOR_LOSSES: tuple[tuple[str, str], ...] = (
    ("otelcol_exporter_send_failed_", "exporter"),
    ("otelcol_receiver_refused_", "receiver"),
    ("otelcol_processor_dropped_", "processor"),
)
"""The OpenTelemetry Collector's own counters of lost telemetry (``_spans``, ``_metric_points``,
``_log_records``, with ``_total`` in recent versions), with the label naming the component."""
