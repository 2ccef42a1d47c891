"""Where a request to the running-jobs endpoints comes from and what it addresses: the path
below the mount point, whether the client is on the loopback interface, and the mount point
itself served as the list (see :func:`signalpost.serving.jobs.endpoint.mount_jobs`)."""

from __future__ import annotations

import ipaddress
from urllib.parse import quote, unquote

from signalpost.asgitypes import ASGIApp, Receive, Scope, Send

__all__ = ["MountPoint", "below_mount", "is_loopback"]


def is_loopback(client: str | None) -> bool:
    """Whether the client address is on the loopback interface (IPv4, IPv6 or mapped)."""
    if not client:
        return False
    try:
        address = ipaddress.ip_address(client.partition("%")[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def below_mount(scope: Scope) -> str:
    """The percent-encoded path below the mount point.

    Read from ``raw_path`` when the server gives it, so that an ID with an encoded ``/``
    (``%2F``) stays one segment; Starlette keeps the full path and sets ``root_path``.
    """
    path = str(scope.get("path", "/"))
    root = str(scope.get("root_path", ""))
    raw = scope.get("raw_path")
    if isinstance(raw, bytes):
        parts = raw.decode("latin-1").partition("?")[0].split("/")
        app_root = str(scope.get("app_root_path", ""))
        for prefix in (root.rstrip("/"), root[len(app_root) :].rstrip("/")):
            depth = prefix.count("/")
            if unquote("/".join(parts[: depth + 1]), errors="replace") == prefix:
                return "/" + "/".join(parts[depth + 1 :])
    below = path[len(root) :] if root and path.startswith(root) else path
    return quote(below, safe="/")


class MountPoint:
    """Serves the mount point itself (``/jobs``) as the list, without a redirect."""

    __slots__ = ("endpoint",)

    def __init__(self, endpoint: ASGIApp) -> None:
        self.endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope = {**scope, "root_path": scope.get("path", ""), "raw_path": None}
        await self.endpoint(scope, receive, send)
