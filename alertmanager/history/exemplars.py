"""Example trace IDs for an alert row, from Prometheus' exemplars of the alert's series.

An alert whose rule carries an ``exemplar_selector`` annotation (HTTP alerts: see
``prometheus/lookup.py``) gets up to ``limit`` trace IDs from ``GET /api/v1/query_exemplars``
over the ``window`` before it started until now, newest first. Prometheus being unreachable or
slow only leaves the row without examples.
"""

from __future__ import annotations

import json
import logging
import urllib.parse
import urllib.request
from datetime import datetime, timedelta
from typing import Any

__all__ = ["SELECTOR_ANNOTATION", "example_trace_ids"]

SELECTOR_ANNOTATION = "exemplar_selector"
TRACE_LABELS = ("trace_id", "traceID", "trace.id")
logger = logging.getLogger("alertmanager.history")


def example_trace_ids(
    prometheus_url: str,
    selector: str,
    starts_at: datetime,
    now: datetime,
    *,
    window: timedelta = timedelta(minutes=15),
    limit: int = 5,
    timeout: float = 3.0,
) -> list[str]:
    """Trace IDs of the newest exemplars of ``selector`` (blocking; run it off the loop)."""
    query = urllib.parse.urlencode({
        "query": selector,
        "start": f"{(starts_at - window).timestamp():.3f}",
        "end": f"{max(now, starts_at).timestamp():.3f}",
    })
    url = f"{prometheus_url.rstrip('/')}/api/v1/query_exemplars?{query}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            answer: dict[str, Any] = json.load(response)
    except (OSError, ValueError) as error:
        logger.warning("alert history: no exemplars from Prometheus (%s)", type(error).__name__)
        return []
    found: list[tuple[float, str]] = []
    for series in answer.get("data") or []:
        for exemplar in series.get("exemplars") or []:
            labels = exemplar.get("labels") or {}
            trace_id = next((labels[k] for k in TRACE_LABELS if labels.get(k)), None)
            if isinstance(trace_id, str):
                found.append((float(exemplar.get("timestamp", 0)), trace_id))
    newest = [trace_id for _, trace_id in sorted(found, reverse=True)]
    return list(dict.fromkeys(newest))[:limit]
