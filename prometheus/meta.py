"""Meta-monitoring: alerts on the monitoring stack itself (``monitoring_service`` targets).

What they watch runs in bursts: roll-up groups are evaluated hourly or daily, their remote
writes follow, Alertmanager notifies once per group or repeat interval. A ``rate(x[5m]) > 0``
held ``for: 10m`` never fires on a burst, so every counter here is read with ``increase`` over
a window a little longer than the period of what it counts (:mod:`prometheus.periods`: 75m for
hourly work, 25h for daily), and fires at once: one failed burst keeps the alert firing until
the next period has passed without one, and a failure every period keeps it firing throughout.
"""

from __future__ import annotations

from prometheus import recording as r
from prometheus import selfmetrics as m
from prometheus.alerting import Dashboard, FamilyAlerts, Rule
from prometheus.catalog import Alert, Severity
from prometheus.knobs import Knobs, seconds
from prometheus.periods import FREQUENT_WINDOW, STALE_MARGIN, grace, labels, per_group, per_remote
from prometheus.promql import by, eq, num, selector

__all__ = ["meta_rules"]


def _rules_and_writes(k: Knobs, mon: str) -> list[Rule]:
    alerts, longterm = FamilyAlerts(k, Dashboard.ALERTS), FamilyAlerts(k, Dashboard.LONGTERM)
    newest = selector(m.PROMETHEUS_REMOTE_HIGHEST_TIMESTAMP_IN, mon)
    base, group = labels(k), labels(k, "rule_group")
    remote_l = labels(k, "remote_name", "url")

    def lost(remote: str, window: str) -> str:
        failed = selector(m.PROMETHEUS_REMOTE_SAMPLES_FAILED, mon, remote)
        return f"sum {by(remote_l)} (increase({failed}[{window}])) > 0"

    def behind(remote: str, window: str) -> str:
        sent = selector(m.PROMETHEUS_REMOTE_HIGHEST_SENT, mon, remote)
        return (
            f"(max {by(base)} ({newest}) - on ({', '.join(base)}) "
            f"group_right max {by(remote_l)} ({sent} > 0)) > {num(seconds(window))}"
        )
    return [
        alerts(
            Alert.PROMETHEUS_RULE_FAILURES,
            severity=Severity.CRITICAL,
            expr=per_group(m.PROMETHEUS_RULE_EVALUATION_FAILURES, mon, group),
            for_="0m",
            summary="Prometheus {{ $labels.instance }} fails to evaluate rules",
            description=(
                "Rule group {{ $labels.rule_group }} failed {{ $value | humanize }} "
                "evaluations within its last period: alerts and recordings of that group are "
                "missing."
            ),
        ),
        alerts(
            Alert.PROMETHEUS_RULE_GROUP_MISSED,
            expr=per_group(m.PROMETHEUS_RULE_GROUP_ITERATIONS_MISSED, mon, group),
            for_="0m",
            summary="Prometheus {{ $labels.instance }} skips evaluations of a rule group",
            description=(
                "Rule group {{ $labels.rule_group }} missed {{ $value | humanize }} "
                "evaluations within its last period (an evaluation overran the interval); missed "
                "evaluations are not caught up."
            ),
        ),
        alerts(
            Alert.PROMETHEUS_RULE_GROUP_STALE,
            severity=Severity.CRITICAL,
            # 0 until a group's first evaluation (a daily group may wait a day after a restart).
            expr=(
                f"time() - max {by(group)} "
                f"({selector(m.PROMETHEUS_RULE_GROUP_LAST_EVALUATION, mon)} > 0) "
                f"> 2 * max {by(group)} ({selector(m.PROMETHEUS_RULE_GROUP_INTERVAL, mon)}) "
                f"+ {num(seconds(STALE_MARGIN))}"
            ),
            for_=k.alerts.meta.for_,
            summary="Prometheus {{ $labels.instance }} no longer evaluates a rule group",
            description=(
                "Rule group {{ $labels.rule_group }} was last evaluated "
                "{{ $value | humanizeDuration }} ago, more than two of its intervals."
            ),
        ),
        longterm(
            Alert.PROMETHEUS_REMOTE_WRITE_FAILING,
            expr=per_remote(lost),
            for_="0m",
            summary="Prometheus {{ $labels.instance }} loses samples sent to long-term storage",
            description=(
                "Remote write to {{ $labels.url }} gave up on {{ $value | humanize }} samples "
                "within its last period (rejected, not retried): the long-term history gets gaps."
            ),
        ),
        longterm(
            Alert.PROMETHEUS_REMOTE_WRITE_BEHIND,
            # A roll-up queue sends once per period: it is behind when its newest sent sample
            # is older than the period and a grace. 0 until its first successful send.
            expr=per_remote(behind),
            for_=k.alerts.meta.for_,
            summary="Prometheus {{ $labels.instance }} remote write falls behind",
            description=(
                "The newest sample sent to {{ $labels.url }} is {{ $value | humanizeDuration }} "
                "older than the newest one stored: the store is unreachable or too slow."
            ),
        ),
    ]


def _delivery(k: Knobs, mon: str) -> list[Rule]:
    alerts = FamilyAlerts(k, Dashboard.ALERTS)
    wait = k.alerts.meta.for_
    base = labels(k)
    prometheus = selector(m.PROMETHEUS_ALERTMANAGERS_DISCOVERED, mon, eq("job", m.PROMETHEUS_JOB))
    sent_errors = selector(m.PROMETHEUS_NOTIFICATIONS_ERRORS, mon)
    am_failed = selector(m.ALERTMANAGER_NOTIFICATIONS_FAILED, mon)
    # Alertmanager notifies once per group interval, or once per repeat interval when nothing
    # changes: the hourly window sees an SMTP relay that refuses every hourly re-send.
    am_window = grace(r.ROLLUP_WINDOWS[0])
    return [
        alerts(
            Alert.PROMETHEUS_NOTIFICATIONS_FAILING,
            severity=Severity.CRITICAL,
            # Prometheus re-sends firing alerts every minute (the Watchdog always fires).
            expr=(
                f"sum {by((*base, 'alertmanager'))} "
                f"(increase({sent_errors}[{FREQUENT_WINDOW}])) > 0"
            ),
            for_=wait,
            summary="Prometheus {{ $labels.instance }} cannot send alerts to Alertmanager",
            description=(
                "Sending alerts to {{ $labels.alertmanager }} failed {{ $value | humanize }} "
                f"times in {FREQUENT_WINDOW}: alerts may not reach anyone."
            ),
        ),
        alerts(
            Alert.PROMETHEUS_NOT_CONNECTED_TO_ALERTMANAGER,
            severity=Severity.CRITICAL,
            expr=f"max {by(base)} ({prometheus}) < 1",
            for_=wait,
            summary="Prometheus {{ $labels.instance }} has no Alertmanager to send alerts to",
            description=(
                "Prometheus has discovered no Alertmanager: every alert it evaluates goes "
                "nowhere (only the Watchdog's silence tells)."
            ),
        ),
        alerts(
            Alert.ALERTMANAGER_NOTIFICATIONS_FAILING,
            severity=Severity.CRITICAL,
            expr=(
                f"sum {by((*base, 'integration'))} (increase({am_failed}[{am_window}])) > 0"
            ),
            for_="0m",
            summary=(
                "Alertmanager {{ $labels.instance }} fails to notify via {{ $labels.integration }}"
            ),
            description=(
                "{{ $value | humanize }} notifications through {{ $labels.integration }} failed "
                f"in the last {am_window}: on-call may not be told about alerts."
            ),
        ),
    ]


def _stack(k: Knobs, mon: str) -> list[Rule]:
    alerts = FamilyAlerts(k, Dashboard.ALERTS)
    wait = k.alerts.meta.for_
    base = labels(k)
    reloads = (
        (Alert.PROMETHEUS_CONFIG_RELOAD_FAILED, m.PROMETHEUS_CONFIG_RELOAD_OK, "Prometheus"),
        (Alert.ALERTMANAGER_CONFIG_RELOAD_FAILED, m.ALERTMANAGER_CONFIG_RELOAD_OK, "Alertmanager"),
    )
    rules = [
        alerts(
            name,
            expr=f"max {by(base)} ({selector(metric, mon)}) == 0",
            for_=wait,
            summary=f"{what} {{{{ $labels.instance }}}} failed to load its configuration",
            description=(
                f"The last configuration reload of {what} failed: it still runs the previous "
                "configuration, and the change you made is not in effect."
            ),
        )
        for name, metric, what in reloads
    ]
    losses = " or ".join(
        f'label_replace(sum {by((*base, label))} (increase({{__name__=~"{prefix}.*", {mon}}}'
        f'[{FREQUENT_WINDOW}])) > 0, "component", "{label}", "", "")'
        for prefix, label in m.COLLECTOR_LOSSES
    )
    rules += [
        alerts(
            Alert.MONITORING_TARGET_DOWN,
            expr=f"max {by(base)} ({selector(m.UP, mon)}) == 0",
            for_=wait,
            summary="{{ $labels.job }} ({{ $labels.instance }}) of the monitoring stack is down",
            description=(
                "Prometheus cannot scrape {{ $labels.job }} at {{ $labels.instance }}: what it "
                "does (storing, alerting, receiving telemetry) may be stopped too."
            ),
        ),
        alerts(
            Alert.COLLECTOR_LOSING_DATA,
            expr=losses,
            for_=wait,
            summary="The Collector {{ $labels.instance }} loses telemetry",
            description=(
                "Its {{ $labels.component }} {{ $labels.exporter }}{{ $labels.receiver }}"
                "{{ $labels.processor }} lost {{ $value | humanize }} items (spans, points or "
                f"log records) in {FREQUENT_WINDOW}: failed to send, refused or dropped."
            ),
        ),
        alerts(
            Alert.WATCHDOG,
            severity=Severity.NONE,
            # label_replace: annotation templates see the expression's labels, not the rule's.
            expr=(
                f'label_replace(vector(1), "{k.service_label}", "{k.monitoring_service}", "", "")'
            ),
            for_="0m",
            summary="Alerting pipeline is alive",
            description=(
                "Always firing. If its receiver stops getting it, Prometheus, Alertmanager or the "
                "path between them is down."
            ),
        ),
    ]
    return rules


def meta_rules(knobs: Knobs) -> list[Rule]:
    """Every meta-alert, on the targets whose service label is ``monitoring_service``."""
    mon = eq(knobs.service_label, knobs.monitoring_service)
    return [*_rules_and_writes(knobs, mon), *_delivery(knobs, mon), *_stack(knobs, mon)]
