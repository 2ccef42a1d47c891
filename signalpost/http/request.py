"""What the middleware reads from a request: its route template, its span attributes, its
context for an error record, and the 500 answer it sends for an unhandled error."""

from __future__ import annotations

import json
from typing import Any

from signalpost.asgitypes import Scope, Send
from signalpost.errors.scrub import Scrubber
from signalpost.semconv import attributes as attr
from signalpost.semconv import http as http_metrics

__all__ = ["request_attributes", "request_context", "route_template", "send_error_response"]

_ERROR_BODY_TEMPLATE = '{{"detail":"Internal Server Error","request_id":{rid}}}'


def route_template(scope: Scope) -> str | None:
    """Return the route template Starlette/FastAPI matched for this request, if any."""
    route = scope.get("route")
    if route is None:
        return None
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return None
    if hasattr(route, "routes") and not path.endswith("}"):
        # A Mount that handled the request itself (static files, a plain ASGI app).
        path = f"{path}/{{path}}"
    # Routes inside a mounted sub-application carry the path relative to the mount point.
    prefix = scope.get("root_path", "")[len(scope.get("app_root_path", "")) :]
    return prefix + path if prefix else path


def request_attributes(
    scope: Scope, raw_method: str, method: str, request_id: str, scrubber: Scrubber,
    recommended: bool,
) -> dict[str, Any]:
    """The server span's request attributes: the HTTP conventions' required ones and the
    request ID, and the recommended ones when ``recommended``."""
    attributes: dict[str, Any] = {
        attr.HTTP_REQUEST_METHOD: method,
        attr.URL_PATH: scrubber.scrub_path(scope.get("path", "")),
        attr.URL_SCHEME: scope.get("scheme", "http"),
        attr.REQUEST_ID: request_id,
    }
    if method != raw_method:
        attributes[attr.HTTP_REQUEST_METHOD_ORIGINAL] = raw_method
    if recommended:
        _add_recommended_attributes(attributes, scope)
    return attributes


def _add_recommended_attributes(attributes: dict[str, Any], scope: Scope) -> None:
    http_version = scope.get("http_version")
    if http_version:
        attributes[attr.NETWORK_PROTOCOL_VERSION] = http_version
    server = scope.get("server")
    if server:
        attributes[attr.SERVER_ADDRESS] = str(server[0])
        if server[1] is not None:
            attributes[attr.SERVER_PORT] = int(server[1])
    client = scope.get("client")
    if client:
        attributes[attr.CLIENT_ADDRESS] = str(client[0])
    for name, value in scope["headers"]:
        if name == b"user-agent":
            attributes[attr.USER_AGENT_ORIGINAL] = value.decode("latin-1")[:512]
            break


def request_context(scope: Scope, method: str, scrubber: Scrubber) -> dict[str, Any]:
    """The request as an error record's context: method, headers, route, path and query (the
    path and query scrubbed here; the error reporter scrubs the whole context again)."""
    template = route_template(scope)
    headers: dict[str, str] = {}
    for name, value in scope.get("headers", ())[:100]:
        headers[name.decode("latin-1")] = value.decode("latin-1")
    query = scrubber.scrub_query(scope.get("query_string", b"").decode("latin-1"))
    return {
        "http": {
            "request": {"method": method, "header": headers},
            "route": template or http_metrics.UNMATCHED_ROUTE,
        },
        "url": {"path": scrubber.scrub_path(scope.get("path", "")), "query": query},
    }


async def send_error_response(send: Send, header: bytes, request_id: str) -> None:
    """Answer 500 with the request ID (in the body and the ``header``) and no internals."""
    body = _ERROR_BODY_TEMPLATE.format(rid=json.dumps(request_id)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (header, request_id.encode("latin-1")),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
