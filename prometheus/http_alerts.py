"""Alerts on the HTTP symptoms: slow routes and error spikes."""

from __future__ import annotations

from prometheus import recording as r
from prometheus.alerting import Dashboard, Rule, alert_rule
from prometheus.catalog import Alert, Severity
from prometheus.knobs import Knobs
from prometheus.labels import ERROR_SOURCE, ROUTE
from prometheus.promql import by, num, selector
from signalpost.semconv import errors

__all__ = ["http_alerts"]



def http_alerts(k: Knobs) -> list[Rule]:
    """HighLatency per route and ErrorSpike against the same time last week."""
    a = k.alerts
    svc = k.service_label
    hl, spike = a.high_latency, a.error_spike
    q = num(hl.quantile)
    errs = selector(errors.ERRORS.exposition_name, *k.selector)
    # `job` kept: the scrape job whose errors spike is the one whose ServiceDown explains it.
    labels = tuple(dict.fromkeys((svc, "job", ERROR_SOURCE)))
    now = f"sum {by(labels)} (rate({errs}[{spike.window}]))"
    week_ago = f"sum {by(labels)} (rate({errs}[{spike.window}] offset 1w))"
    return [
        alert_rule(
            k,
            Alert.HIGH_LATENCY,
            severity=Severity.WARNING,
            for_=hl.for_,
            expr=(
                f'max by ({svc}, {ROUTE}) ({r.HTTP_LATENCY}{{quantile="{q}"}}) '
                f"> {num(hl.threshold_seconds)} "
                f"and on ({svc}, {ROUTE}) {r.HTTP_REQUESTS} > {num(hl.min_request_rate)}"
            ),
            summary=f"{{{{ $labels.{svc} }}}}: {{{{ $labels.{ROUTE} }}}} is slow",
            description=(
                f"The {num(hl.quantile * 100)}th percentile latency of {{{{ $labels.{ROUTE} }}}} "
                "is {{ $value | humanizeDuration }}, above "
                f"{num(hl.threshold_seconds)}s."
            ),
            dashboard=Dashboard.SERVICE,
            dashboard_vars=(ROUTE,),
        ),
        alert_rule(
            k,
            Alert.ERROR_SPIKE,
            severity=Severity.WARNING,
            expr=(
                f"({now} > {num(spike.factor)} * ({week_ago} or 0 * {now})) "
                f"and {now} > {num(spike.min_rate)}"
            ),
            for_=spike.for_,
            summary=(f"{{{{ $labels.{svc} }}}}: {{{{ $labels.{ERROR_SOURCE} }}}} errors spike"),
            description=(
                f"{{{{ $labels.{ERROR_SOURCE} }}}} errors at {{{{ $value | humanize }}}}/s over "
                f"{spike.window}, more than {num(spike.factor)}x the rate at the same time last "
                "week."
            ),
            dashboard=Dashboard.ERRORS,
        ),
    ]
