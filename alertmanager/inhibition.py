"""The inhibit rules of the generated Alertmanager configuration (see the docstring of
:mod:`alertmanager.generate`)."""

from __future__ import annotations

from typing import Any

from alertmanager.matchers import any_of, eq
from prometheus.catalog import (
    AFTERMATH,
    DISTINGUISHING_LABELS,
    INHIBITED_BY_DATABASE_DOWN,
    INHIBITED_BY_SERVICE_DOWN,
    Alert,
    Severity,
)

__all__ = ["inhibit_rules"]


def _cause(name: Alert) -> str:
    return any_of("alertname", (name, AFTERMATH[name]))


def inhibit_rules() -> list[dict[str, Any]]:
    """The inhibit rules (the table is in docs/alerting.md)."""
    return [
        {
            "source_matchers": [eq("severity", Severity.CRITICAL)],
            "target_matchers": [eq("severity", Severity.WARNING)],
            "equal": list(DISTINGUISHING_LABELS),
        },
        {
            # The two burn-rate tiers of one SLO: while the fast burn pages, the slow-burn
            # ticket says nothing new.
            "source_matchers": [
                eq("alertname", Alert.ERROR_BUDGET_BURN_FAST),
                eq("severity", Severity.CRITICAL),
            ],
            "target_matchers": [eq("alertname", Alert.ERROR_BUDGET_BURN_SLOW)],
            "equal": ["service", "slo"],
        },
        {
            # The same job: the worker being down explains no HTTP symptom of the API.
            # The cause while it lasts, its aftermath while its symptoms lag (both fire
            # together during the outage: an inhibited alert may have several sources).
            "source_matchers": [_cause(Alert.SERVICE_DOWN)],
            "target_matchers": [any_of("alertname", INHIBITED_BY_SERVICE_DOWN)],
            "equal": ["service", "job"],
        },
        {
            "source_matchers": [_cause(Alert.DATABASE_DOWN)],
            "target_matchers": [any_of("alertname", INHIBITED_BY_DATABASE_DOWN)],
            "equal": ["service"],
        },
        {
            # A permanent failure (bad data, a bug) is news even while the database is down;
            # a transient one is the outage itself.
            "source_matchers": [_cause(Alert.DATABASE_DOWN)],
            "target_matchers": [
                eq("alertname", Alert.JOB_FAILED),
                eq("error_class", "transient"),
            ],
            "equal": ["service"],
        },
    ]
