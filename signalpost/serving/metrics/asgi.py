"""The metrics endpoint as a pure ASGI app, to mount on the application."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from prometheus_client import CollectorRegistry

from signalpost.asgitypes import Receive, Scope, Send, answer_unless_http
from signalpost.serving.metrics.auth import Authenticator
from signalpost.serving.metrics.exposition import MetricsRenderer
from signalpost.serving.metrics.registry import resolve_registry

__all__ = ["MetricsApp", "metrics_app", "mount_metrics"]


class RouteHost(Protocol):
    """What :func:`mount_metrics` needs: Starlette's and FastAPI's ``add_route``."""

    def add_route(
        self,
        path: str,
        route: Any,
        methods: list[str] | None = ...,
        name: str | None = ...,
        include_in_schema: bool = ...,
    ) -> None: ...


class MetricsApp:
    """ASGI app serving the Prometheus exposition of one registry.

    Serves any path it is routed: mount it (``app.mount("/metrics", ...)``) or add it as a
    route (:func:`mount_metrics`). Rendering runs in a worker thread, so a large registry or
    multiprocess files being read never stall the event loop.

    Args:
        renderer: Builds the responses (method check, auth, negotiation, gzip).
    """

    __slots__ = ("_renderer",)

    def __init__(self, renderer: MetricsRenderer) -> None:
        self._renderer = renderer

    @property
    def registry(self) -> CollectorRegistry:
        """The registry this app exposes."""
        return self._renderer.registry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if await answer_unless_http(scope, receive, send):
            return

        accept: list[str] = []
        accept_encoding: list[str] = []
        authorization: str | None = None
        for raw_name, raw_value in scope.get("headers", ()):
            name = raw_name.lower()
            if name == b"accept":
                accept.append(raw_value.decode("latin-1"))
            elif name == b"accept-encoding":
                accept_encoding.append(raw_value.decode("latin-1"))
            elif name == b"authorization" and authorization is None:
                authorization = raw_value.decode("latin-1")

        response = await asyncio.to_thread(
            self._renderer.render,
            scope["method"],
            scope.get("query_string", b"").decode("latin-1"),
            accept=",".join(accept),
            accept_encoding=",".join(accept_encoding),
            authorization=authorization,
        )
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": [
                    (name.lower().encode("latin-1"), value.encode("latin-1"))
                    for name, value in response.headers
                ],
            }
        )
        await send({"type": "http.response.body", "body": response.body})


def metrics_app(
    registry: CollectorRegistry | None = None,
    *,
    auth: Authenticator | None = None,
    compression: bool = True,
) -> MetricsApp:
    """Build the ASGI metrics endpoint.

    Reads ``PROMETHEUS_MULTIPROC_DIR`` (through
    :func:`~signalpost.serving.metrics.registry.resolve_registry`) when no registry is given.

    Args:
        registry: The registry to expose. Default: a multiprocess registry when
            ``PROMETHEUS_MULTIPROC_DIR`` is set, else prometheus-client's global ``REGISTRY``.
        auth: :class:`~signalpost.serving.metrics.auth.BearerAuth`,
            :class:`~signalpost.serving.metrics.auth.BasicAuth` or any
            :class:`~signalpost.serving.metrics.auth.Authenticator`; ``None`` serves everyone.
        compression: ``False`` disables gzip even when the scraper accepts it.

    Raises:
        MultiprocessDirError: If ``PROMETHEUS_MULTIPROC_DIR`` is set but unusable.
    """
    return MetricsApp(
        MetricsRenderer(resolve_registry(registry), auth=auth, compression=compression)
    )


def mount_metrics(
    app: RouteHost,
    path: str = "/metrics",
    registry: CollectorRegistry | None = None,
    *,
    auth: Authenticator | None = None,
    compression: bool = True,
) -> MetricsApp:
    """Serve the metrics endpoint at exactly ``path`` on a Starlette or FastAPI app.

    Unlike ``app.mount(path, ...)``, which answers ``path`` with a redirect to ``path + "/"``,
    this adds a plain route, kept out of the OpenAPI schema.

    Args:
        app: The Starlette or FastAPI application.
        path: The URL path, e.g. ``/metrics``.
        registry: See :func:`metrics_app`.
        auth: See :func:`metrics_app`.
        compression: See :func:`metrics_app`.

    Returns:
        The mounted :class:`MetricsApp`.
    """
    if not path.startswith("/"):
        raise ValueError(f"metrics path must start with '/', got {path!r}")
    endpoint = metrics_app(registry, auth=auth, compression=compression)
    app.add_route(path, endpoint, include_in_schema=False)
    return endpoint
