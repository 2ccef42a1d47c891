"""Alerting rule groups, by area (the SLO burn alerts live in :mod:`prometheus.slo`)."""

from __future__ import annotations

from typing import Any

from prometheus.availability_alerts import availability_alerts
from prometheus.backlog import backlog_group
from prometheus.breaker_alerts import breaker_alerts
from prometheus.health_alerts import health_alerts
from prometheus.host_alerts import host_alerts
from prometheus.http_alerts import http_alerts
from prometheus.job_alerts import job_alerts
from prometheus.knobs import Knobs
from prometheus.meta import meta_rules

__all__ = ["alert_groups"]


def alert_groups(knobs: Knobs) -> list[dict[str, Any]]:
    """Alert rule groups, by area."""
    return [
        {"name": "signalpost.availability", "rules": availability_alerts(knobs)},
        {"name": "signalpost.http", "rules": http_alerts(knobs)},
        {"name": "signalpost.jobs", "rules": job_alerts(knobs)},
        {"name": "signalpost.health", "rules": health_alerts(knobs)},
        {"name": "signalpost.host", "rules": host_alerts(knobs)},
        {"name": "signalpost.meta", "rules": meta_rules(knobs)},
        backlog_group(knobs),
        {"name": "signalpost.breaker", "rules": breaker_alerts(knobs)},
    ]
