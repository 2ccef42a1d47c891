"""Alerts on the service's scrape targets: all down, one down, none left to scrape."""

from __future__ import annotations

from prometheus import selfmetrics as m
from prometheus.aftermath import aftermath_rule
from prometheus.alerting import Dashboard, FamilyAlerts, Rule
from prometheus.catalog import Alert, Severity
from prometheus.inhibition import symptom_lag
from prometheus.knobs import Knobs
from prometheus.promql import by, eq, matcher_regex, no_match, selector

__all__ = ["availability_alerts"]


def _named(label: str, service: str) -> tuple[str, ...]:
    # With `service_label: job` the scrape job's own name is the service's.
    return () if label == "job" else (eq(label, service),)


def availability_alerts(k: Knobs) -> list[Rule]:
    """ServiceDown (and its aftermath), InstanceDown and TargetMissing: scrape targets that fail
    or vanish."""
    a = k.alerts
    svc = k.service_label
    # Exporters down are causes (ExporterDown warns), not the service down.
    skip = (no_match("job", matcher_regex(k.exporters.jobs)),) if k.exporters.jobs else ()
    # The monitoring stack's own parts have MonitoringTargetDown (a warning), not a page.
    own = (f'{svc}!="{k.monitoring_service}"',) if svc != "job" else ()
    up = selector(m.UP, *k.selector, *own, *skip)
    jobs_l = tuple(dict.fromkeys((svc, "job")))  # service_label may be ``job`` itself
    all_down = f"max {by(jobs_l)} ({up}) == 0"
    missing = " or ".join(
        f"absent({selector(m.UP, *k.selector, *_named(svc, s), eq('job', j))})"
        for s, j in k.service_jobs
    )
    health = FamilyAlerts(k, Dashboard.HEALTH)
    service_down = health(
        Alert.SERVICE_DOWN,
        severity=Severity.CRITICAL,
        # A target that service discovery removes leaves `up` absent, not 0: the absent
        # branch (same labels) keeps a dead worker's alert firing instead of resolving it.
        expr=f"{all_down} or {missing}",
        for_=a.service_down.for_,
        keep_firing_for=a.service_down.keep_firing_for,
        summary=f"{{{{ $labels.{svc} }}}} is down: no {{{{ $labels.job }}}} target answers",
        description=(
            f"Every {{{{ $labels.job }}}} target of {{{{ $labels.{svc} }}}} has failed its "
            f"scrapes, or none is left to scrape, for {a.service_down.for_}."
        ),
    )
    return [
        service_down,
        aftermath_rule(service_down, a.service_down.inhibit_for or symptom_lag(k)),
        health(
            Alert.INSTANCE_DOWN,
            # One of N replicas: ServiceDown (every target down) covers the rest.
            expr=(
                f"max {by((*jobs_l, 'instance'))} ({up}) == 0 "
                f"unless on ({', '.join(jobs_l)}) ({all_down})"
            ),
            for_=a.instance_down.for_,
            summary=(
                f"{{{{ $labels.{svc} }}}}: {{{{ $labels.job }}}} target {{{{ $labels.instance }}}} "
                "is down"
            ),
            description=(
                f"{{{{ $labels.instance }}}} has failed its scrapes for {a.instance_down.for_}; "
                f"other {{{{ $labels.job }}}} targets of {{{{ $labels.{svc} }}}} still answer."
            ),
        ),
        health(
            Alert.TARGET_MISSING,
            severity=Severity.CRITICAL,
            expr=missing,
            for_=a.target_missing.for_,
            summary="No {{ $labels.job }} target to scrape",
            description=(
                "Prometheus has had no {{ $labels.job }} target to scrape "
                f"for {a.target_missing.for_}: service discovery or the scrape configuration lost "
                "it, so nothing about it is monitored."
            ),
        ),
    ]
