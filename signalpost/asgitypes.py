"""ASGI type aliases and the answers our small ASGI apps share (lifespan, websockets)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = [
    "ASGIApp",
    "Message",
    "Receive",
    "Scope",
    "Send",
    "acknowledge_lifespan",
    "answer_unless_http",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


async def acknowledge_lifespan(receive: Receive, send: Send) -> None:
    """Answer start-up and shut-down, for an app served on its own that has nothing to do."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def answer_unless_http(
    scope: Scope, receive: Receive, send: Send, *, close_code: int = 1008
) -> bool:
    """Answer a connection that is not an HTTP request (acknowledge a lifespan, close a
    websocket with ``close_code``, ignore the rest); return whether it was not one."""
    kind = scope["type"]
    if kind == "http":
        return False
    if kind == "lifespan":
        await acknowledge_lifespan(receive, send)
    elif kind == "websocket":
        await send({"type": "websocket.close", "code": close_code})
    return True
