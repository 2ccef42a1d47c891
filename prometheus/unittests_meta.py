"""promtool unit tests of the meta-alerts, with the bursts they watch in real operation.

Three files: states and per-minute traffic at a 1-minute interval (``meta.test.yml``, here),
work done once an hour at a 5-minute interval (``meta-bursts.test.yml``) and once a day at a
1-hour interval (``meta-daily.test.yml``, both in :mod:`prometheus.unittests_meta_bursts`): roll-up
groups failing or skipped at each hourly run, remote writes rejected at each hourly send, an
SMTP relay refusing every hourly re-send for three hours. Each burst case asserts that the
alert fires at the first burst, stays firing between bursts, and resolves once a period has
passed without one. Annotation values are what promtool prints, written out.
"""

from __future__ import annotations

from typing import Any

from prometheus import selfmetrics as m
from prometheus.catalog import Alert as A
from prometheus.catalog import Severity as S
from prometheus.knobs import Knobs
from prometheus.testdata import alert_group, alert_test, rules_under_test, series
from prometheus.unittests_meta_bursts import FAST_GROUP, Case, MetaCases, bursts, daily

__all__ = ["meta_test_files"]


def _per_minute(t: MetaCases) -> list[Case]:
    """States and every-minute traffic (1-minute interval)."""
    prom, am = t.prom, t.am
    fast = {**prom, "rule_group": FAST_GROUP}
    interval = m.PROMETHEUS_RULE_GROUP_INTERVAL
    failures = m.PROMETHEUS_RULE_EVALUATION_FAILURES
    am_url = {"alertmanager": "http://alertmanager:9093/api/v2/alerts"}
    rule_failures = t.rule_failures(FAST_GROUP, "30")
    stale = t.group_stale(FAST_GROUP, "14m 0s")
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
        alert_group(
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
        alert_group(
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
        alert_group(
            [], [alert_test("0m", A.WATCHDOG, watchdog), alert_test("1h", A.WATCHDOG, watchdog)],
            one_m,
        ),
    ]


def meta_test_files(knobs: Knobs) -> dict[str, dict[str, Any]]:
    """Test file name (under ``tests/``) to its content."""
    t = MetaCases(knobs)
    under_test = rules_under_test(knobs, "alerts.rules.yml")
    return {
        "meta.test.yml": {**under_test, "evaluation_interval": "1m", "tests": _per_minute(t)},
        "meta-bursts.test.yml": {**under_test, "evaluation_interval": "5m", "tests": bursts(t)},
        "meta-daily.test.yml": {**under_test, "evaluation_interval": "1h", "tests": daily(t)},
    }
