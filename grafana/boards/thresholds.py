"""Panels drawn against the threshold of an alert, linking to its runbook."""

from __future__ import annotations

from collections.abc import Sequence

from grafana_foundation_sdk.builders import timeseries

from grafana import panels as p
from grafana.boards.common import runbook
from prometheus.catalog import Alert
from prometheus.knobs import Knobs

__all__ = ["alert_threshold_panel"]


def alert_threshold_panel(
    knobs: Knobs,
    alert: Alert,
    title: str,
    description: str,
    unit: str,
    targets: Sequence[p.Target],
    *,
    threshold: float,
    bad_below: bool = False,
    min_value: float | None = None,
    max_value: float | None = None,
    span: int = 12,
) -> timeseries.Panel:
    """A time series against the threshold of ``alert``, with a link to its runbook.

    The threshold is drawn as a dashed line; values above it are red (below it with
    ``bad_below``: a share of free space, a hit ratio).
    """
    base, beyond = (p.RED, p.GREEN) if bad_below else (p.GREEN, p.RED)
    return p.timeseries_panel(
        title,
        description,
        unit,
        targets,
        steps=[(None, base), (threshold, beyond)],
        show_thresholds=True,
        min_value=min_value,
        max_value=max_value,
        span=span,
        links=[runbook(knobs, alert)],
    )
