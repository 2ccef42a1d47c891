"""The runner's ASGI app: ``POST /alerts`` takes Alertmanager's webhook notifications.

Answers 200 with the decisions recorded; 400 for a body that is not a notification; 503 while
the database is unavailable (Alertmanager retries, and nothing runs without a record). A
notification makes the runner act, so ``POST /alerts`` is refused unless its caller shows the
webhook token (401 without it or with another; Alertmanager sends it with the receiver's
``http_config.authorization.credentials_file``), or the runner was explicitly told to trust
loopback callers; with neither, every notification is refused (403).
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import anyio
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from psycopg_pool import AsyncConnectionPool
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from alertmanager.history.app import MAX_BODY
from alertmanager.history.payload import PayloadError, parse_payload
from alertmanager.recovery.amclient import AlertmanagerClient
from alertmanager.recovery.audit import Audit, StoreUnavailable
from alertmanager.recovery.config import RecoveryConfig
from alertmanager.recovery.metrics import RecoveryMetrics
from alertmanager.recovery.procedure import Procedure
from alertmanager.recovery.runner import Runner

__all__ = ["create_app"]


def create_app(
    conninfo: str,
    config: RecoveryConfig,
    procedures: Mapping[str, Procedure],
    alertmanager_url: str,
    *,
    pool_timeout: float = 5.0,
    registry: CollectorRegistry | None = None,
    webhook_token: str | None = None,
    from_loopback: bool = False,
) -> Starlette:
    """Build the runner for the alert-history database at ``conninfo``.

    Args:
        conninfo: The alert-history database (migrated: ``recovery_actions`` is migration 3).
        config: Rules, limits and switches (:func:`~.config.load_config`).
        procedures: The procedures offered, by name; ``config.allow`` decides which may run.
        alertmanager_url: Alertmanager's base URL: verifications ask it, escalations go there.
        pool_timeout: Seconds to wait for a database connection before answering 503.
        registry: Where the runner's metrics go, served at ``GET /metrics`` (default: a
            registry of its own).
        webhook_token: The bearer token ``POST /alerts`` requires.
        from_loopback: Without a token, accept notifications from 127.0.0.1 and ::1 only
            (refused from anywhere by default).
    """
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        conninfo, open=False, min_size=1, max_size=4, timeout=pool_timeout,
        check=AsyncConnectionPool.check_connection,
        kwargs={"connect_timeout": max(1, int(pool_timeout))},
    )
    metrics = RecoveryMetrics(registry, sorted({rule.procedure for rule in config.rules}))
    audit = Audit(pool, metrics)
    runner = Runner(config, procedures, audit, AlertmanagerClient(alertmanager_url),
                    metrics=metrics)

    async def receive(request: Request) -> JSONResponse:
        refused = _refusal(request, webhook_token, from_loopback)
        if refused is not None:
            return refused
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"error": "body too large"}, status_code=400)
        try:
            alerts = parse_payload(body)
        except PayloadError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        try:
            decisions = await runner.handle(alerts)
        except StoreUnavailable:
            return JSONResponse({"error": "database unavailable, retry"}, status_code=503,
                                headers={"Retry-After": "10"})
        return JSONResponse({"decisions": [
            {"decision": d.decision, "detail": d.detail} for d in decisions
        ]})

    async def ready(request: Request) -> JSONResponse:
        return JSONResponse({"ready": True})

    async def serve_metrics(request: Request) -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await audit.open()
        try:
            async with anyio.create_task_group() as tasks:
                runner.start(tasks)
                yield
                tasks.cancel_scope.cancel()
        finally:
            await audit.close()

    return Starlette(routes=[Route("/alerts", receive, methods=["POST"]),
                             Route("/-/ready", ready),
                             Route("/metrics", serve_metrics)], lifespan=lifespan)


_LOOPBACK = frozenset({"127.0.0.1", "::1"})


def _refusal(request: Request, token: str | None, from_loopback: bool) -> JSONResponse | None:
    """The answer refusing ``request``, or ``None`` when it may make the runner act."""
    if token is not None:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), token.encode()):
            return None
        return JSONResponse({"error": "a valid bearer token is required"}, status_code=401,
                            headers={"WWW-Authenticate": 'Bearer realm="recovery"'})
    if from_loopback and request.client is not None and request.client.host in _LOOPBACK:
        return None
    return JSONResponse({"error": "the runner acts on notifications: set "
                                  "RECOVERY_WEBHOOK_TOKEN_FILE (or, for loopback callers only, "
                                  "RECOVERY_WEBHOOK_FROM_LOOPBACK=true)"}, status_code=403)
