"""CircuitOpen: a service is shedding a dependency (its circuit breaker is not closed).

A cause, not a symptom: the service still answers (with a fallback, or failing those calls
fast), so it warns (the paging policy in docs/alerting.md). The condition asks for activity
too: a breaker only leaves ``open`` when a call arrives, so an idle service would keep an open
breaker (and the alert) forever after its dependency recovered. Calls rejected, or probes
that failed and re-opened it, within the window mean the dependency is still being shed.
"""

from __future__ import annotations

from typing import Any

from prometheus.alerting import Dashboard, alert_rule
from prometheus.catalog import Alert, Severity
from prometheus.knobs import Knobs
from prometheus.promql import by, eq, ne, selector
from signalpost.breaker.state import BreakerState
from signalpost.semconv import breaker, prometheus_label

__all__ = ["BREAKER_NAME", "breaker_alerts"]

BREAKER_NAME = prometheus_label(breaker.BREAKER_NAME)
BREAKER_STATE = prometheus_label(breaker.BREAKER_STATE)


def breaker_alerts(k: Knobs) -> list[dict[str, Any]]:
    """The rules of the ``signalpost.breaker`` group."""
    svc = k.service_label
    co = k.alerts.circuit_open
    keys = by((svc, BREAKER_NAME))
    state = selector(breaker.STATE.name, *k.selector, ne(BREAKER_STATE, BreakerState.CLOSED))
    rejected = selector(breaker.REJECTED_CALLS.exposition_name, *k.selector)
    reopened = selector(
        breaker.TRANSITIONS.exposition_name, *k.selector, eq(BREAKER_STATE, BreakerState.OPEN)
    )
    active = (
        f"sum {keys} (increase({rejected}[{co.window}])) "
        f"+ sum {keys} (increase({reopened}[{co.window}])) > 0"
    )
    return [
        alert_rule(
            k,
            Alert.CIRCUIT_OPEN,
            severity=Severity.WARNING,
            expr=f"max {keys} ({state}) == 1 and on ({svc}, {BREAKER_NAME}) ({active})",
            for_=co.for_,
            summary=(
                f"{{{{ $labels.{svc} }}}} is shedding {{{{ $labels.{BREAKER_NAME} }}}}: "
                "its circuit breaker is open"
            ),
            description=(
                f"The circuit breaker guarding {{{{ $labels.{BREAKER_NAME} }}}} has not closed "
                f"for {co.for_} and keeps rejecting calls or failing its probes: the "
                "dependency fails with transient errors. Calls get the fallback or fail fast."
            ),
            dashboard=Dashboard.HEALTH,
        ),
    ]
