"""promtool unit tests of the meta-alerts, with the bursts they watch in real operation.

Two files: states and per-minute traffic at a 1-minute interval (``meta.test.yml``), and work
done once an hour or once a day at a 5-minute interval (``meta-bursts.test.yml``): roll-up
groups failing or skipped at each hourly run, remote writes rejected at each hourly send, an
SMTP relay refusing every hourly re-send for three hours. Each burst case asserts that the
alert fires at the first burst, stays firing between bursts, and resolves once a period has
passed without one. Annotation values are what promtool prints, written out.
"""

from __future__ import annotations

from typing import Any

from prometheus import selfmetrics as m
from prometheus.alerting import Dashboard as D
from prometheus.catalog import Alert as A
from prometheus.catalog import Severity as S
from prometheus.knobs import Knobs
from prometheus.testdata import Expect, alert_test, rules_under_test, series

__all__ = ["meta_test_files"]

Case = dict[str, Any]
HOURLY_GROUP = "rules/rollup-1h.rules.yml;signalpost.rollup.1h"
DAILY_GROUP = "rules/rollup-1d.rules.yml;signalpost.rollup.1d"
FAST_GROUP = "rules/alerts.rules.yml;signalpost.jobs"


def _group(inputs: list[dict[str, str]], alerts: list[Case], interval: str) -> Case:
    return {"interval": interval, "input_series": inputs, "alert_rule_test": alerts}


def _hourly(value_per_hour: list[int], step_per_hour: int = 12) -> str:
    """A counter stepping once an hour: ``[0, 1, 2]`` → 0 for an hour, then 1, then 2."""
    return " ".join(f"{v}x{step_per_hour - 1}" for v in value_per_hour)


class _Meta:
    def __init__(self, knobs: Knobs) -> None:
        self.e = Expect(knobs)
        mon = knobs.monitoring_service
        self.prom = {"service": mon, "job": "prometheus", "instance": "localhost:9090"}
        self.am = {"service": mon, "job": "alertmanager", "instance": "alertmanager:9093"}

    def alert(self, name: A, sev: S, labels: dict[str, str], summary: str, description: str,
              dashboard: str = D.ALERTS) -> Case:
        return self.e.alert(name, sev, labels, summary=summary, description=description,
                            dashboard=dashboard)

    def group_alert(self, name: A, sev: S, group: str, summary: str, description: str) -> Case:
        return self.alert(name, sev, {**self.prom, "rule_group": group}, summary, description)


def _per_minute(t: _Meta) -> list[Case]:
    """States and every-minute traffic (1-minute interval)."""
    prom, am = t.prom, t.am
    fast = {**prom, "rule_group": FAST_GROUP}
    interval = m.PROMETHEUS_RULE_GROUP_INTERVAL
    failures = m.PROMETHEUS_RULE_EVALUATION_FAILURES
    am_url = {"alertmanager": "http://alertmanager:9093/api/v2/alerts"}
    rule_failures = t.group_alert(
        A.PROMETHEUS_RULE_FAILURES, S.CRITICAL, FAST_GROUP,
        "Prometheus localhost:9090 fails to evaluate rules",
        f"Rule group {FAST_GROUP} failed 30 evaluations within its last period: alerts and "
        "recordings of that group are missing.",
    )
    stale = t.group_alert(
        A.PROMETHEUS_RULE_GROUP_STALE, S.CRITICAL, FAST_GROUP,
        "Prometheus localhost:9090 no longer evaluates a rule group",
        f"Rule group {FAST_GROUP} was last evaluated 14m 0s ago, more than two of its intervals.",
    )
    notify = t.alert(
        A.PROMETHEUS_NOTIFICATIONS_FAILING, S.CRITICAL, {**prom, **am_url},
        "Prometheus localhost:9090 cannot send alerts to Alertmanager",
        "Sending alerts to http://alertmanager:9093/api/v2/alerts failed 15 times in 15m: "
        "alerts may not reach anyone.",
    )
    unconnected = t.alert(
        A.PROMETHEUS_NOT_CONNECTED_TO_ALERTMANAGER, S.CRITICAL, prom,
        "Prometheus localhost:9090 has no Alertmanager to send alerts to",
        "Prometheus has discovered no Alertmanager: every alert it evaluates goes nowhere "
        "(only the Watchdog's silence tells).",
    )
    hourly_store = {**prom, "job": "prometheus-hourly", "instance": "prometheus-hourly:9090"}

    def reload(name: A, target: dict[str, str], what: str) -> Case:
        return t.alert(
            name, S.WARNING, target,
            f"{what} {target['instance']} failed to load its configuration",
            f"The last configuration reload of {what} failed: it still runs the previous "
            "configuration, and the change you made is not in effect.",
        )

    tempo = {**prom, "job": "tempo", "instance": "tempo:3200"}
    down = t.alert(
        A.MONITORING_TARGET_DOWN, S.WARNING, tempo,
        "tempo (tempo:3200) of the monitoring stack is down",
        "Prometheus cannot scrape tempo at tempo:3200: what it does (storing, alerting, "
        "receiving telemetry) may be stopped too.",
    )
    collector = {**prom, "job": "otel-collector", "instance": "otel-collector:8888"}
    exporter = {**collector, "exporter": "otlphttp/loki"}
    lost = t.alert(
        A.COLLECTOR_LOSING_DATA, S.WARNING, {**exporter, "component": "exporter"},
        "The Collector otel-collector:8888 loses telemetry",
        "Its exporter otlphttp/loki lost 1.5k items (spans, points or log records) in 15m: "
        "failed to send, refused or dropped.",
    )
    refused = {**collector, "receiver": "otlp", "transport": "http"}
    watchdog = t.alert(
        A.WATCHDOG, S.NONE, {"service": prom["service"]}, "Alerting pipeline is alive",
        "Always firing. If its receiver stops getting it, Prometheus, Alertmanager or the path "
        "between them is down.",
    )
    one_m = "1m"
    return [
        # Healthy stack: nothing fires (a long-term store has no Alertmanager, on purpose).
        _group(
            [
                series(failures, fast, "0x40"),
                series(interval, fast, "30x40"),
                series(m.PROMETHEUS_RULE_GROUP_LAST_EVALUATION, fast, "60+60x40"),
                series(m.PROMETHEUS_NOTIFICATIONS_ERRORS, {**prom, **am_url}, "0x40"),
                series(m.PROMETHEUS_ALERTMANAGERS_DISCOVERED, prom, "1x40"),
                series(m.PROMETHEUS_ALERTMANAGERS_DISCOVERED, hourly_store, "0x40"),
                series(m.PROMETHEUS_CONFIG_RELOAD_OK, prom, "1x40"),
                series(m.ALERTMANAGER_CONFIG_RELOAD_OK, am, "1x40"),
                series(m.UP, tempo, "1x40"),
                series("otelcol_exporter_send_failed_spans_total", exporter, "0x40"),
                series("otelcol_receiver_refused_spans", refused, "0x40"),
            ],
            [
                alert_test("30m", A.PROMETHEUS_RULE_FAILURES),
                alert_test("30m", A.PROMETHEUS_RULE_GROUP_STALE),
                alert_test("30m", A.PROMETHEUS_NOTIFICATIONS_FAILING),
                alert_test("30m", A.PROMETHEUS_NOT_CONNECTED_TO_ALERTMANAGER),
                alert_test("30m", A.PROMETHEUS_CONFIG_RELOAD_FAILED),
                alert_test("30m", A.ALERTMANAGER_CONFIG_RELOAD_FAILED),
                alert_test("30m", A.MONITORING_TARGET_DOWN),
                alert_test("30m", A.COLLECTOR_LOSING_DATA),
            ],
            one_m,
        ),
        # Broken stack: a group failing every evaluation then no longer evaluated after 20m,
        # notifications failing every minute, no Alertmanager, failed reloads, Tempo down,
        # the Collector's Loki exporter failing 100 log records a minute.
        _group(
            [
                series(failures, fast, "0+2x20 40x20"),
                series(interval, fast, "30x40"),
                series(m.PROMETHEUS_RULE_GROUP_LAST_EVALUATION, fast, "60+60x19 1200x21"),
                series(m.PROMETHEUS_NOTIFICATIONS_ERRORS, {**prom, **am_url}, "0+1x40"),
                series(m.PROMETHEUS_ALERTMANAGERS_DISCOVERED, prom, "0x40"),
                series(m.PROMETHEUS_CONFIG_RELOAD_OK, prom, "0x40"),
                series(m.ALERTMANAGER_CONFIG_RELOAD_OK, am, "0x40"),
                series(m.UP, tempo, "0x40"),
                series("otelcol_exporter_send_failed_spans_total", exporter, "0+100x40"),
            ],
            [
                alert_test("0m", A.PROMETHEUS_RULE_FAILURES),
                alert_test("15m", A.PROMETHEUS_RULE_FAILURES, rule_failures),
                alert_test("37m", A.PROMETHEUS_RULE_FAILURES),
                alert_test("25m", A.PROMETHEUS_RULE_GROUP_STALE),
                alert_test("34m", A.PROMETHEUS_RULE_GROUP_STALE, stale),
                alert_test("5m", A.PROMETHEUS_NOTIFICATIONS_FAILING),
                alert_test("20m", A.PROMETHEUS_NOTIFICATIONS_FAILING, notify),
                alert_test("5m", A.PROMETHEUS_NOT_CONNECTED_TO_ALERTMANAGER),
                alert_test("12m", A.PROMETHEUS_NOT_CONNECTED_TO_ALERTMANAGER, unconnected),
                alert_test("5m", A.PROMETHEUS_CONFIG_RELOAD_FAILED),
                alert_test(
                    "12m", A.PROMETHEUS_CONFIG_RELOAD_FAILED,
                    reload(A.PROMETHEUS_CONFIG_RELOAD_FAILED, prom, "Prometheus"),
                ),
                alert_test("5m", A.ALERTMANAGER_CONFIG_RELOAD_FAILED),
                alert_test(
                    "12m", A.ALERTMANAGER_CONFIG_RELOAD_FAILED,
                    reload(A.ALERTMANAGER_CONFIG_RELOAD_FAILED, am, "Alertmanager"),
                ),
                alert_test("5m", A.MONITORING_TARGET_DOWN),
                alert_test("12m", A.MONITORING_TARGET_DOWN, down),
                alert_test("5m", A.COLLECTOR_LOSING_DATA),
                alert_test("20m", A.COLLECTOR_LOSING_DATA, lost),
            ],
            one_m,
        ),
        _group([], [alert_test("0m", A.WATCHDOG, watchdog), alert_test("1h", A.WATCHDOG, watchdog)],
               one_m),
    ]


def _bursts(t: _Meta) -> list[Case]:
    """Hourly and daily work (5-minute interval): fires at the first failed burst, stays firing
    between bursts, resolves a period after the last."""
    prom, am = t.prom, t.am
    hourly = {**prom, "rule_group": HOURLY_GROUP}
    interval = m.PROMETHEUS_RULE_GROUP_INTERVAL
    six_failed_hours = _hourly([0, 1, 2, 3, 4, 5, 6, 6, 6, 6])
    remote_1h = {"remote_name": "rollup-1h", "url": "http://prometheus-hourly:9090/api/v1/write"}
    remote_1d = {"remote_name": "rollup-1d", "url": "http://prometheus-daily:9090/api/v1/write"}
    email = {"integration": "email"}

    def failing(group: str, n: str) -> Case:
        return t.group_alert(
            A.PROMETHEUS_RULE_FAILURES, S.CRITICAL, group,
            "Prometheus localhost:9090 fails to evaluate rules",
            f"Rule group {group} failed {n} evaluations within its last period: alerts and "
            "recordings of that group are missing.",
        )

    missed = t.group_alert(
        A.PROMETHEUS_RULE_GROUP_MISSED, S.WARNING, HOURLY_GROUP,
        "Prometheus localhost:9090 skips evaluations of a rule group",
        f"Rule group {HOURLY_GROUP} missed 1 evaluations within its last period (an "
        "evaluation overran the interval); missed evaluations are not caught up.",
    )
    stale = t.group_alert(
        A.PROMETHEUS_RULE_GROUP_STALE, S.CRITICAL, HOURLY_GROUP,
        "Prometheus localhost:9090 no longer evaluates a rule group",
        f"Rule group {HOURLY_GROUP} was last evaluated 2h 15m 0s ago, more than two of its "
        "intervals.",
    )
    rejected = t.alert(
        A.PROMETHEUS_REMOTE_WRITE_FAILING, S.WARNING, {**prom, **remote_1h},
        "Prometheus localhost:9090 loses samples sent to long-term storage",
        "Remote write to http://prometheus-hourly:9090/api/v1/write gave up on 50 samples "
        "within its last period (rejected, not retried): the long-term history gets gaps.",
        D.LONGTERM,
    )
    behind = t.alert(
        A.PROMETHEUS_REMOTE_WRITE_BEHIND, S.WARNING, {**prom, **remote_1h},
        "Prometheus localhost:9090 remote write falls behind",
        "The newest sample sent to http://prometheus-hourly:9090/api/v1/write is 1h 30m 0s "
        "older than the newest one stored: the store is unreachable or too slow.",
        D.LONGTERM,
    )
    refused = t.alert(
        A.ALERTMANAGER_NOTIFICATIONS_FAILING, S.CRITICAL, {**am, **email},
        "Alertmanager alertmanager:9093 fails to notify via email",
        "1 notifications through email failed in the last 75m: on-call may not be told "
        "about alerts.",
    )
    five = "5m"
    return [
        # A roll-up group failing at each hourly run for six hours, and skipping one run.
        _group(
            [
                series(m.PROMETHEUS_RULE_EVALUATION_FAILURES, hourly, six_failed_hours),
                series(m.PROMETHEUS_RULE_GROUP_ITERATIONS_MISSED, hourly, _hourly([0, 0, 1, 1])),
                series(interval, hourly, "3600x120"),
            ],
            [
                alert_test("55m", A.PROMETHEUS_RULE_FAILURES),
                alert_test("1h5m", A.PROMETHEUS_RULE_FAILURES, failing(HOURLY_GROUP, "1")),
                alert_test("1h55m", A.PROMETHEUS_RULE_FAILURES, failing(HOURLY_GROUP, "1")),
                alert_test("5h55m", A.PROMETHEUS_RULE_FAILURES, failing(HOURLY_GROUP, "1")),
                alert_test("7h30m", A.PROMETHEUS_RULE_FAILURES),
                alert_test("1h55m", A.PROMETHEUS_RULE_GROUP_MISSED),
                alert_test("2h5m", A.PROMETHEUS_RULE_GROUP_MISSED, missed),
                alert_test("3h30m", A.PROMETHEUS_RULE_GROUP_MISSED),
            ],
            five,
        ),
        # An hourly group evaluated on time for three hours, then no more.
        _group(
            [
                series(
                    m.PROMETHEUS_RULE_GROUP_LAST_EVALUATION, hourly,
                    "_x11 3600x11 7200x11 " + "10800x71",
                ),
                series(interval, hourly, "3600x110"),
            ],
            [
                alert_test("3h55m", A.PROMETHEUS_RULE_GROUP_STALE),
                alert_test("5h5m", A.PROMETHEUS_RULE_GROUP_STALE),
                alert_test("5h15m", A.PROMETHEUS_RULE_GROUP_STALE, stale),
            ],
            five,
        ),
        # Remote write: the hourly store rejects each hourly send for six hours; sends to it
        # stop after three hours; the daily store, sent to once a day, is never behind.
        _group(
            [
                series(
                    m.PROMETHEUS_REMOTE_SAMPLES_FAILED, {**prom, **remote_1h},
                    _hourly([0, 50, 100, 150, 200, 250, 300, 300, 300, 300]),
                ),
                series(m.PROMETHEUS_REMOTE_SAMPLES_FAILED, {**prom, **remote_1d}, "0x120"),
                series(m.PROMETHEUS_REMOTE_HIGHEST_TIMESTAMP_IN, prom, "0+300x120"),
                series(
                    m.PROMETHEUS_REMOTE_HIGHEST_SENT, {**prom, **remote_1h},
                    "_x11 3600x11 7200x11 10800x83",
                ),
                series(m.PROMETHEUS_REMOTE_HIGHEST_SENT, {**prom, **remote_1d}, "_x11 3600x107"),
            ],
            [
                alert_test("55m", A.PROMETHEUS_REMOTE_WRITE_FAILING),
                alert_test("1h5m", A.PROMETHEUS_REMOTE_WRITE_FAILING, rejected),
                alert_test("7h30m", A.PROMETHEUS_REMOTE_WRITE_FAILING),
                alert_test("3h55m", A.PROMETHEUS_REMOTE_WRITE_BEHIND),
                alert_test("4h20m", A.PROMETHEUS_REMOTE_WRITE_BEHIND),
                alert_test("4h30m", A.PROMETHEUS_REMOTE_WRITE_BEHIND, behind),
            ],
            five,
        ),
        # The SMTP relay refuses the hourly re-send of a page for three hours.
        _group(
            [
                series(m.ALERTMANAGER_NOTIFICATIONS_FAILED, {**am, **email},
                       _hourly([0, 1, 2, 3, 3, 3, 3])),
            ],
            [
                alert_test("55m", A.ALERTMANAGER_NOTIFICATIONS_FAILING),
                alert_test("1h5m", A.ALERTMANAGER_NOTIFICATIONS_FAILING, refused),
                alert_test("5h", A.ALERTMANAGER_NOTIFICATIONS_FAILING),
            ],
            five,
        ),
    ]


def _daily(t: _Meta) -> list[Case]:
    """Daily work (1-hour interval)."""
    daily = {**t.prom, "rule_group": DAILY_GROUP}
    interval = m.PROMETHEUS_RULE_GROUP_INTERVAL
    day, hour = 24, "1h"

    def failing(n: str) -> Case:
        return t.group_alert(
            A.PROMETHEUS_RULE_FAILURES, S.CRITICAL, DAILY_GROUP,
            "Prometheus localhost:9090 fails to evaluate rules",
            f"Rule group {DAILY_GROUP} failed {n} evaluations within its last period: alerts "
            "and recordings of that group are missing.",
        )

    return [
        # A daily roll-up failing at two daily runs: firing throughout the day between them.
        _group(
            [
                series(
                    m.PROMETHEUS_RULE_EVALUATION_FAILURES, daily,
                    f"0x{day - 1} 1x{day - 1} 2x{day + 30}",
                ),
                series(interval, daily, f"86400x{3 * day + 30}"),
            ],
            [
                alert_test("23h", A.PROMETHEUS_RULE_FAILURES),
                alert_test("36h", A.PROMETHEUS_RULE_FAILURES, failing("1")),
                alert_test("49h", A.PROMETHEUS_RULE_FAILURES, failing("1")),
                alert_test("74h", A.PROMETHEUS_RULE_FAILURES),
            ],
            hour,
        ),
    ]


def meta_test_files(knobs: Knobs) -> dict[str, dict[str, Any]]:
    """Test file name (under ``tests/``) to its content."""
    t = _Meta(knobs)
    under_test = rules_under_test(knobs, "alerts.rules.yml")
    return {
        "meta.test.yml": {**under_test, "evaluation_interval": "1m", "tests": _per_minute(t)},
        "meta-bursts.test.yml": {**under_test, "evaluation_interval": "5m", "tests": _bursts(t)},
        "meta-daily.test.yml": {**under_test, "evaluation_interval": "1h", "tests": _daily(t)},
    }
