"""Health endpoints as a small pure-ASGI app that only reads the monitor's cache.

Mount it under a prefix, conventionally ``/health`` (which the HTTP middleware leaves out of
its metrics by default); :func:`mount_health` also answers the prefix itself (``/health``)
instead of Starlette's redirect to ``/health/``::

    mount_health(app, "/health", HealthEndpoints(monitor))

:meth:`HealthEndpoints.respond` gives the same answers to servers that are not ASGI (the
metrics server of a job worker serves them on its own port).

====================  ======================================================================
``GET /health/live``  200 ``{"status": "alive"}`` whenever the event loop answers.
``GET /health/ready`` 200 when every critical check is healthy or degraded, else 503.
``GET /health``       The detailed JSON report; 200 unless the overall status is unhealthy
                      (also at ``/health/``).
====================  ======================================================================

``HEAD`` is answered like ``GET`` without a body; other methods get 405, other paths 404.
"""

from __future__ import annotations

import json
from typing import Any

from signalpost.asgitypes import Receive, Scope, Send, answer_unless_http
from signalpost.health.monitor import HealthMonitor
from signalpost.health.result import Status

__all__ = ["HealthEndpoints", "mount_health"]


_HEADERS = [
    ("content-type", "application/json"),
    ("cache-control", "no-store"),
]


class HealthEndpoints:
    """ASGI app serving liveness, readiness and the detailed report of a :class:`HealthMonitor`.

    Args:
        monitor: The monitor whose cached results are served.
        details: Serve the detailed report at ``/`` (turn off to expose only live/ready).
    """

    def __init__(self, monitor: HealthMonitor, *, details: bool = True) -> None:
        self.monitor = monitor
        self.details = details

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection."""
        if await answer_unless_http(scope, receive, send, close_code=1000):
            return
        status, headers, payload = self.respond(scope.get("method", "GET"), _route_path(scope))
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    def respond(self, method: str, path: str) -> tuple[int, list[tuple[str, str]], bytes]:
        """Answer ``method`` on ``path`` (below the mount point) from the monitor's cache.

        Returns:
            The status code, the headers and the body (empty for ``HEAD``).
        """
        body: dict[str, Any]
        if path in ("/live", "/live/"):
            status, body = 200, {"status": "alive"}
        elif path in ("/ready", "/ready/"):
            report = self.monitor.report()
            failing = [
                c.name for c in report.components if c.critical and c.status is Status.UNHEALTHY
            ]
            status = 200 if report.ready else 503
            body = {"status": "ready" if report.ready else "not ready", "failing": failing}
        elif path in ("", "/") and self.details:
            report = self.monitor.report()
            status = 503 if report.status is Status.UNHEALTHY else 200
            body = report.to_dict()
        else:
            status, body = 404, {"error": "not found"}
        if method not in ("GET", "HEAD") and status != 404:
            status, body = 405, {"error": "method not allowed"}
        payload = json.dumps(body, default=str, separators=(",", ":")).encode()
        headers = [*_HEADERS, ("content-length", str(len(payload)))]
        if status == 405:
            headers.append(("allow", "GET, HEAD"))
        return status, headers, b"" if method == "HEAD" else payload


class _MountPoint:
    """Serves the mount point itself (``/health``) as the report at ``/health/``."""

    def __init__(self, endpoints: HealthEndpoints) -> None:
        self.endpoints = endpoints

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.endpoints({**scope, "root_path": scope.get("path", "")}, receive, send)


def mount_health(app: Any, path: str, endpoints: HealthEndpoints) -> None:
    """Mount ``endpoints`` at ``path`` on a Starlette or FastAPI ``app``.

    ``path`` itself is answered too: a plain mount would redirect it to ``path/`` (307), which
    probes and load balancers do not all follow.
    """
    app.mount(path, endpoints)
    app.router.add_route(path, _MountPoint(endpoints), include_in_schema=False)


def _route_path(scope: Scope) -> str:
    """The path below the mount point (Starlette keeps the full path and sets root_path)."""
    path: str = scope.get("path", "/")
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return path
