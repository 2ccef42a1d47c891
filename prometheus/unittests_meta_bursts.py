"""Meta-alert test cases for work done once an hour or once a day (see
:mod:`prometheus.unittests_meta`), and the helpers both files share."""

from __future__ import annotations

from typing import Any

from prometheus import selfmetrics as m
from prometheus.alerting import Dashboard as D
from prometheus.catalog import Alert as A
from prometheus.catalog import Severity as S
from prometheus.knobs import Knobs
from prometheus.testdata import Expect, alert_group, alert_test, series

__all__ = ["FAST_GROUP", "Case", "MetaCases", "bursts", "daily"]

Case = dict[str, Any]
HOURLY_GROUP = "rules/rollup-1h.rules.yml;signalpost.rollup.1h"
DAILY_GROUP = "rules/rollup-1d.rules.yml;signalpost.rollup.1d"
FAST_GROUP = "rules/alerts.rules.yml;signalpost.jobs"


def _hourly(value_per_hour: list[int], step_per_hour: int = 12) -> str:
    """A counter stepping once an hour: ``[0, 1, 2]`` → 0 for an hour, then 1, then 2."""
    return " ".join(f"{v}x{step_per_hour - 1}" for v in value_per_hour)


class MetaCases:
    """Expected alerts of the monitoring stack's Prometheus and Alertmanager."""

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

    def rule_failures(self, group: str, n: str) -> Case:
        """PrometheusRuleFailures: ``n`` failed evaluations of ``group`` in its last period."""
        return self.group_alert(
            A.PROMETHEUS_RULE_FAILURES, S.CRITICAL, group,
            "Prometheus localhost:9090 fails to evaluate rules",
            f"Rule group {group} failed {n} evaluations within its last period: alerts and "
            "recordings of that group are missing.",
        )  # fmt: skip

    def group_stale(self, group: str, ago: str) -> Case:
        """PrometheusRuleGroupStale: ``group`` last evaluated ``ago`` (humanized)."""
        return self.group_alert(
            A.PROMETHEUS_RULE_GROUP_STALE, S.CRITICAL, group,
            "Prometheus localhost:9090 no longer evaluates a rule group",
            f"Rule group {group} was last evaluated {ago} ago, more than two of its intervals.",
        )  # fmt: skip


def bursts(t: MetaCases) -> list[Case]:
    """Hourly and daily work (5-minute interval): fires at the first failed burst, stays firing
    between bursts, resolves a period after the last."""
    prom, am = t.prom, t.am
    hourly = {**prom, "rule_group": HOURLY_GROUP}
    interval = m.PROMETHEUS_RULE_GROUP_INTERVAL
    six_failed_hours = _hourly([0, 1, 2, 3, 4, 5, 6, 6, 6, 6])
    remote_1h = {"remote_name": "rollup-1h", "url": "http://prometheus-hourly:9090/api/v1/write"}
    remote_1d = {"remote_name": "rollup-1d", "url": "http://prometheus-daily:9090/api/v1/write"}
    email = {"integration": "email"}

    missed = t.group_alert(
        A.PROMETHEUS_RULE_GROUP_MISSED, S.WARNING, HOURLY_GROUP,
        "Prometheus localhost:9090 skips evaluations of a rule group",
        f"Rule group {HOURLY_GROUP} missed 1 evaluations within its last period (an "
        "evaluation overran the interval); missed evaluations are not caught up.",
    )
    stale = t.group_stale(HOURLY_GROUP, "2h 15m 0s")
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
        alert_group(
            [
                series(m.PROMETHEUS_RULE_EVALUATION_FAILURES, hourly, six_failed_hours),
                series(m.PROMETHEUS_RULE_GROUP_ITERATIONS_MISSED, hourly, _hourly([0, 0, 1, 1])),
                series(interval, hourly, "3600x120"),
            ],
            [
                alert_test("55m", A.PROMETHEUS_RULE_FAILURES),
                alert_test("1h5m", A.PROMETHEUS_RULE_FAILURES, t.rule_failures(HOURLY_GROUP, "1")),
                alert_test("1h55m", A.PROMETHEUS_RULE_FAILURES, t.rule_failures(HOURLY_GROUP, "1")),
                alert_test("5h55m", A.PROMETHEUS_RULE_FAILURES, t.rule_failures(HOURLY_GROUP, "1")),
                alert_test("7h30m", A.PROMETHEUS_RULE_FAILURES),
                alert_test("1h55m", A.PROMETHEUS_RULE_GROUP_MISSED),
                alert_test("2h5m", A.PROMETHEUS_RULE_GROUP_MISSED, missed),
                alert_test("3h30m", A.PROMETHEUS_RULE_GROUP_MISSED),
            ],
            five,
        ),
        # An hourly group evaluated on time for three hours, then no more.
        alert_group(
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
        alert_group(
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
        alert_group(
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


def daily(t: MetaCases) -> list[Case]:
    """Daily work (1-hour interval)."""
    daily = {**t.prom, "rule_group": DAILY_GROUP}
    interval = m.PROMETHEUS_RULE_GROUP_INTERVAL
    day, hour = 24, "1h"
    return [
        # A daily roll-up failing at two daily runs: firing throughout the day between them.
        alert_group(
            [
                series(
                    m.PROMETHEUS_RULE_EVALUATION_FAILURES, daily,
                    f"0x{day - 1} 1x{day - 1} 2x{day + 30}",
                ),
                series(interval, daily, f"86400x{3 * day + 30}"),
            ],
            [
                alert_test("23h", A.PROMETHEUS_RULE_FAILURES),
                alert_test("36h", A.PROMETHEUS_RULE_FAILURES, t.rule_failures(DAILY_GROUP, "1")),
                alert_test("49h", A.PROMETHEUS_RULE_FAILURES, t.rule_failures(DAILY_GROUP, "1")),
                alert_test("74h", A.PROMETHEUS_RULE_FAILURES),
            ],
            hour,
        ),
    ]
