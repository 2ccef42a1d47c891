"""The circuit-breaker row of the Health dashboard: which dependency is shed, and how much."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db

from grafana import panels as p
from grafana import queries as q
from grafana.boards.common import runbook
from prometheus.breaker_alerts import BREAKER_NAME, BREAKER_STATE
from prometheus.catalog import Alert
from prometheus.knobs import Knobs
from signalpost.breaker.state import BreakerState
from signalpost.semconv import breaker

__all__ = ["with_breaker_panels"]


def with_breaker_panels(dash: db.Dashboard, knobs: Knobs) -> db.Dashboard:
    """Append the "Circuit breakers" row to ``dash``."""
    co = knobs.alerts.circuit_open
    state = q.name(breaker.STATE)
    not_closed = q.sel(f'{BREAKER_STATE}!="{BreakerState.CLOSED}"')
    dash = dash.with_row(db.Row("Circuit breakers"))
    dash = dash.with_panel(
        p.timeseries_panel(
            "Breakers not closed",
            "1 while a dependency's breaker is open or half-open on any instance: its calls "
            "are rejected (fallback or fail fast) or probed. CircuitOpen fires after "
            f"{co.for_} while calls are still rejected or probes fail.",
            "bool_yes_no",
            [
                p.prom(
                    f"max by ({BREAKER_NAME}, {BREAKER_STATE}) ({state}{not_closed})",
                    f"{{{{{BREAKER_NAME}}}}} {{{{{BREAKER_STATE}}}}}",
                ),
            ],
            steps=[(None, p.GREEN), (1, p.ORANGE)],
            min_value=0,
            max_value=1,
            links=[runbook(knobs, Alert.CIRCUIT_OPEN)],
        )
    )
    return dash.with_panel(
        p.timeseries_panel(
            "Calls rejected and transitions",
            "Calls each breaker rejected without calling its dependency, per second, and its "
            "changes of state (by the state entered) over the rate window.",
            "short",
            [
                p.prom(
                    f"sum by ({BREAKER_NAME}) "
                    f"(rate({q.total(breaker.REJECTED_CALLS)}{q.sel()}[{q.RATE}]))",
                    f"{{{{{BREAKER_NAME}}}}} rejected/s",
                ),
                p.prom(
                    f"sum by ({BREAKER_NAME}, {BREAKER_STATE}) "
                    f"(increase({q.total(breaker.TRANSITIONS)}{q.sel()}[{q.RATE}]))",
                    f"{{{{{BREAKER_NAME}}}}} to {{{{{BREAKER_STATE}}}}}",
                ),
            ],
            min_value=0,
        )
    )
