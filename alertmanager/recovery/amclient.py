"""What the runner asks Alertmanager (API v2): is this alert still active, and the escalation
alert it posts when a procedure did not help."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

__all__ = ["AlertmanagerClient", "AlertmanagerUnavailable"]


class AlertmanagerUnavailable(RuntimeError):
    """Alertmanager did not answer, or answered an error."""


class AlertmanagerClient:
    """Alertmanager's API at ``url`` (``http://alertmanager:9093``).

    Args:
        url: Alertmanager's base URL (its ``--web.external-url`` path included, if any).
        timeout: Seconds per request.
    """

    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
        self._url = url.rstrip("/")
        self._timeout = timeout

    async def is_active(self, alertname: str, fingerprint: str) -> bool:
        """Whether the alert ``fingerprint`` is still firing (active, silenced or inhibited):
        Alertmanager's list leaves out resolved alerts."""
        params = {"filter": f'alertname="{alertname}"'}
        alerts = await self._request("GET", "/api/v2/alerts", params=params)
        return any(a.get("fingerprint") == fingerprint for a in alerts)

    async def post_alert(self, labels: Mapping[str, str], annotations: Mapping[str, str]) -> None:
        """Post one firing alert (Alertmanager resolves it after its ``resolve_timeout``)."""
        alert = {
            "labels": dict(labels),
            "annotations": dict(annotations),
            "startsAt": datetime.now(UTC).isoformat(),
        }
        await self._request("POST", "/api/v2/alerts", content=json.dumps([alert]))

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.request(
                    method, self._url + path, headers={"Content-Type": "application/json"},
                    **kwargs,
                )
        except httpx.HTTPError as error:
            raise AlertmanagerUnavailable(type(error).__name__) from error
        if response.status_code != 200:
            raise AlertmanagerUnavailable(f"HTTP {response.status_code}")
        return response.json() if method == "GET" else None
