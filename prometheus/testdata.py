"""Building blocks of the promtool unit tests: input series, alert expectations, links."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus import lookup
from prometheus.alerting import symptom_job
from prometheus.catalog import Alert, Severity
from prometheus.knobs import Knobs
from prometheus.labels import JOB_TYPE
from prometheus.promql import le_value
from prometheus.rulefiles import group_names
from signalpost.semconv import MetricSpec

__all__ = [
    "TEST_KNOBS",
    "Expect",
    "ServiceExpect",
    "TestCase",
    "alert_group",
    "alert_rules_under_test",
    "alert_test",
    "bucket_series",
    "expr_group",
    "expr_test",
    "labels_text",
    "rules_under_test",
    "series",
]

TestCase = dict[str, Any]

TEST_KNOBS = Path(__file__).with_name("tests") / "knobs.yaml"
"""The knobs the unit tests' rules are generated with (hand-written)."""


def labels_text(metric: str, labels: dict[str, str]) -> str:
    """``metric{a="1", b="2"}`` with labels sorted, as promtool prints them."""
    inner = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return f"{metric}{{{inner}}}"


def series(metric: str, labels: dict[str, str], values: str) -> dict[str, str]:
    """One input series in promtool's expanding notation (``0+60x20``, ``1x10``, ``_x5``)."""
    return {"series": labels_text(metric, labels), "values": values}


def bucket_series(
    spec: MetricSpec,
    labels: dict[str, str],
    per_step: float,
    above: float,
    steps: int,
    *,
    count: bool = True,
) -> list[dict[str, str]]:
    """Histogram series where ``per_step`` observations a step all fall just above ``above``.

    Buckets below ``above`` stay 0, the others (and ``_count``) grow by ``per_step``.
    """
    out = []
    for bound in (*(spec.buckets or ()), float("inf")):
        grows = bound > above
        values = f"0+{per_step:g}x{steps}" if grows else f"0x{steps}"
        out.append(series(f"{spec.name}_bucket", {**labels, "le": le_value(bound)}, values))
    if count:
        out.append(series(f"{spec.name}_count", labels, f"0+{per_step:g}x{steps}"))
    return out


class Expect:
    """Expected firing alerts, with the annotations and links every alert carries."""

    def __init__(self, knobs: Knobs) -> None:
        self.knobs = knobs

    def alert(
        self,
        name: Alert,
        severity: Severity,
        labels: dict[str, str],
        *,
        summary: str,
        description: str,
        dashboard: str,
        dashboard_vars: Iterable[str] = (),
    ) -> dict[str, Any]:
        """One ``exp_alerts`` entry (symptoms with the ``job`` label their rule adds)."""
        dashboard_vars = tuple(dashboard_vars)
        job = symptom_job(self.knobs, name, labels)
        if job is not None:
            labels = {**labels, "job": job}
        grafana = self.knobs.urls.grafana.rstrip("/")
        pairs = [("service", self.knobs.service_label), *((v, v) for v in dashboard_vars)]
        query = "&".join(f"var-{var}={labels.get(label, '')}" for var, label in pairs)
        return {
            "exp_labels": {"severity": str(severity), **labels},
            "exp_annotations": {
                "summary": summary,
                "description": description,
                "runbook_url": f"{self.knobs.urls.runbooks.rstrip('/')}/{name}.md",
                "dashboard_url": f"{grafana}/d/{dashboard}?{query}",
                **lookup.rendered(
                    lookup.lookup_annotations(
                        self.knobs, name, job=JOB_TYPE in {*labels, *dashboard_vars}
                    ),
                    labels,
                ),
            },
        }


@dataclass(frozen=True)
class ServiceExpect:
    """Expected alerts of one family of per-service alerts (what
    :class:`prometheus.alerting.ServiceAlerts` builds): labels start with ``service``, summaries
    with ``<service>: ``, one dashboard."""

    expect: Expect
    service: str
    dashboard: str
    dashboard_vars: tuple[str, ...] = ()

    def __call__(
        self, name: Alert, severity: Severity, summary: str, description: str, **labels: str
    ) -> dict[str, Any]:
        """One ``exp_alerts`` entry: ``labels`` besides ``service`` and ``severity``."""
        return self.expect.alert(
            name,
            severity,
            {"service": self.service, **labels},
            summary=f"{self.service}: {summary}",
            description=description,
            dashboard=self.dashboard,
            dashboard_vars=self.dashboard_vars,
        )


def alert_group(
    inputs: list[dict[str, str]], alerts: list[dict[str, Any]], interval: str = "1m"
) -> dict[str, Any]:
    """One test group: input series at ``interval`` (1m unless given) and alert checks."""
    return {"interval": interval, "input_series": inputs, "alert_rule_test": alerts}


def alert_test(at: str, name: Alert, *expected: dict[str, Any]) -> dict[str, Any]:
    """One ``alert_rule_tests`` entry; no ``expected`` asserts the alert is not firing."""
    return {"eval_time": at, "alertname": str(name), "exp_alerts": list(expected)}


def expr_group(
    inputs: list[dict[str, str]], tests: list[dict[str, Any]], interval: str = "1m"
) -> dict[str, Any]:
    """One test group: input series at ``interval`` (1m unless given) and PromQL checks."""
    return {"interval": interval, "input_series": inputs, "promql_expr_test": tests}


def expr_test(at: str, expr: str, *samples: tuple[str, float]) -> dict[str, Any]:
    """One ``promql_expr_test``: ``samples`` are (labels text, value)."""
    return {
        "expr": expr,
        "eval_time": at,
        "exp_samples": [{"labels": lab, "value": val} for lab, val in samples],
    }


def rules_under_test(knobs: Knobs, *files: str) -> dict[str, Any]:
    """``rule_files`` and ``group_eval_order`` of a test file.

    Without ``group_eval_order`` promtool evaluates groups in random order, so an alert on a
    recorded series would lag one evaluation now and then.
    """
    return {
        "rule_files": [f"rules/{f}" for f in files],
        "group_eval_order": group_names(knobs, *files),
    }


def alert_rules_under_test(knobs: Knobs, *extra: str) -> dict[str, Any]:
    """:func:`rules_under_test` of the alerts, the recordings they read and ``extra`` files."""
    return rules_under_test(knobs, "recording.rules.yml", "alerts.rules.yml", *extra)
