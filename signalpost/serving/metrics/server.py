"""The metrics endpoint on a port of its own, served from a background thread.

Built on the standard library's WSGI server, like prometheus-client's ``start_http_server``,
but with the same authentication, negotiation and gzip as the ASGI app, a clear error when the
port is taken, and a handle that shuts the server down.
"""

from __future__ import annotations

import errno
import http
import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from socketserver import ThreadingMixIn
from types import TracebackType
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry

from signalpost.serving.metrics.auth import Authenticator
from signalpost.serving.metrics.exposition import MetricsRenderer
from signalpost.serving.metrics.registry import resolve_registry

__all__ = ["MetricsServer", "MetricsServerError", "PathHandler", "start_metrics_server"]

StartResponse = Callable[..., Any]
PathHandler = Callable[[str, str], tuple[int, list[tuple[str, str]], bytes]]
"""Answers (method, path below its prefix) with (status, headers, body); must not block."""
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class MetricsServerError(OSError):
    """The metrics server could not listen on the requested address."""


class _SilentHandler(WSGIRequestHandler):
    """No access log: scrapes every few seconds would drown the application's logs."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def _wsgi_app(
    renderer: MetricsRenderer, routes: Mapping[str, PathHandler], apps: Mapping[str, WsgiApp]
) -> WsgiApp:
    prefixes = sorted(routes.items(), key=lambda item: -len(item[0]))

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "/")
        for prefix, wsgi_app in apps.items():
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                below = {**environ, "SCRIPT_NAME": prefix, "PATH_INFO": path[len(prefix) :]}
                return wsgi_app(below, start_response)
        for prefix, handler in prefixes:
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                status, headers, body = handler(environ["REQUEST_METHOD"], path[len(prefix) :])
                start_response(f"{status} {http.HTTPStatus(status).phrase}", headers)
                return [body]
        response = renderer.render(
            environ["REQUEST_METHOD"],
            environ.get("QUERY_STRING", ""),
            accept=environ.get("HTTP_ACCEPT"),
            accept_encoding=environ.get("HTTP_ACCEPT_ENCODING"),
            authorization=environ.get("HTTP_AUTHORIZATION"),
        )
        start_response(f"{response.status} {response.reason}", response.headers)
        return [response.body]

    return app


class MetricsServer:
    """Handle on a running metrics server; also a context manager that shuts it down.

    Attributes:
        host: The address the server listens on.
        port: The port it listens on (the real one when ``0`` was asked for).
    """

    def __init__(self, httpd: WSGIServer, thread: threading.Thread) -> None:
        self._httpd = httpd
        self._thread = thread
        address = httpd.socket.getsockname()
        self.host: str = address[0]
        self.port: int = address[1]

    @property
    def url(self) -> str:
        """``http://host:port/metrics`` (the server answers on any path)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/metrics"

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop serving, close the socket and wait for the serving thread. Idempotent."""
        if self._thread.is_alive():
            self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout)

    def __enter__(self) -> MetricsServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.shutdown()

    def __repr__(self) -> str:
        return f"MetricsServer(host={self.host!r}, port={self.port})"


def start_metrics_server(
    port: int,
    addr: str = "0.0.0.0",
    registry: CollectorRegistry | None = None,
    *,
    auth: Authenticator | None = None,
    compression: bool = True,
    routes: Mapping[str, PathHandler] | None = None,
    apps: Mapping[str, WsgiApp] | None = None,
) -> MetricsServer:
    """Serve the metrics endpoint on ``addr:port`` from a daemon thread.

    Reads ``PROMETHEUS_MULTIPROC_DIR`` (through
    :func:`~signalpost.serving.metrics.registry.resolve_registry`) when no registry is given.
    Under
    gunicorn start it once (e.g. in the master's ``when_ready`` hook), not in every worker.

    Args:
        port: TCP port; ``0`` picks a free one (see :attr:`MetricsServer.port`).
        addr: Address to bind; IPv6 addresses work. The default listens on all IPv4
            interfaces, as prometheus-client does; pass ``"127.0.0.1"`` to keep it local.
        registry: See :func:`signalpost.serving.metrics.asgi.metrics_app`.
        auth: See :func:`signalpost.serving.metrics.asgi.metrics_app`.
        compression: ``False`` disables gzip.
        routes: Other answers by path prefix (a job worker's health endpoints under
            ``/health``); every other path serves the metrics.
        apps: WSGI apps by path prefix, given the path below it in ``PATH_INFO`` (a job
            worker's running-jobs endpoints under ``/jobs``).

    Returns:
        A :class:`MetricsServer`; call :meth:`~MetricsServer.shutdown` to stop it.

    Raises:
        MetricsServerError: If ``addr:port`` cannot be bound (in use, not local, no
            permission); the message names ``addr:port``.
        MultiprocessDirError: If ``PROMETHEUS_MULTIPROC_DIR`` is set but unusable.
    """
    renderer = MetricsRenderer(resolve_registry(registry), auth=auth, compression=compression)
    httpd = _bind(addr, port, _wsgi_app(renderer, routes or {}, apps or {}))
    thread = threading.Thread(
        target=httpd.serve_forever, name=f"signalpost-metrics-{port}", daemon=True
    )
    thread.start()
    return MetricsServer(httpd, thread)


def _bind(addr: str, port: int, app: WsgiApp) -> _ThreadingServer:
    """A server for ``app`` bound to ``addr:port`` (IPv4 or IPv6, as ``addr`` resolves).

    Raises:
        MetricsServerError: ``addr:port`` cannot be resolved or bound; the message names it.
    """
    try:
        infos = socket.getaddrinfo(addr, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise MetricsServerError(
            f"metrics server cannot listen on {addr}:{port}: {exc.strerror}"
        ) from exc
    family, _, _, _, sockaddr = infos[0]

    class _Server(_ThreadingServer):
        address_family = family

    try:
        return make_server(str(sockaddr[0]), port, app, _Server, handler_class=_SilentHandler)
    except OSError as exc:
        reason = "address already in use" if exc.errno == errno.EADDRINUSE else exc.strerror
        raise MetricsServerError(
            exc.errno, f"metrics server cannot listen on {addr}:{port}: {reason}"
        ) from exc
