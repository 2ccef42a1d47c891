"""The ASGI app: ``POST /alerts`` takes Alertmanager's webhook notifications.

Answers: 200 with how many rows were new (a repeated delivery stores nothing new); 400 for a
body that is not a notification (logged, scrubbed; Alertmanager does not retry a 4xx); 503
while the database is unavailable (Alertmanager retries 5xx, so no row is lost). Signalpost
instruments it (request metrics and traces, ``/metrics``, health at ``/health``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
from prometheus_client import CollectorRegistry
from psycopg_pool import AsyncConnectionPool
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from alertmanager.history.exemplars import SELECTOR_ANNOTATION, example_trace_ids
from alertmanager.history.payload import AlertRecord, PayloadError, parse_payload
from alertmanager.history.store import HistoryStore, StoreUnavailable
from signalpost.errors.scrub import Scrubber
from signalpost.health import CheckSettings
from signalpost.runtime import Runtime
from signalpost.sdk import SetupOptions

__all__ = ["MAX_BODY", "create_app"]

logger = logging.getLogger("alertmanager.history")
MAX_BODY = 8 * 1024 * 1024
MAX_EXAMPLE_QUERIES = 3


def create_app(
    conninfo: str,
    *,
    registry: CollectorRegistry | None = None,
    scrubber: Scrubber | None = None,
    pool_timeout: float = 5.0,
    instrument: bool = True,
    prometheus_url: str | None = None,
) -> Starlette:
    """Build the receiver for the database at ``conninfo`` (libpq string or URL).

    Args:
        conninfo: Where ``alert_history`` lives (migrated by :func:`~.migrate.migrate`).
        registry: prometheus-client registry for Signalpost's metrics (default: global).
        scrubber: Scrubs what is logged about refused payloads.
        pool_timeout: Seconds to wait for a database connection before answering 503.
        instrument: Call :func:`signalpost.setup` on the app (reads ``SIGNALPOST_*`` and
            ``OTEL_*`` variables) and time its statements with Signalpost's database
            instrumentation.
        prometheus_url: Where to ask for exemplars: firing alerts with an
            ``exemplar_selector`` annotation get example trace IDs (:mod:`.exemplars`).
    """
    scrub = scrubber or Scrubber()
    configure = None
    if instrument:
        from signalpost.database import DatabaseInstrumentation

        own = None if registry is None else Runtime(registry=registry)
        configure = DatabaseInstrumentation(runtime=own).configure_async
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        conninfo,
        open=False,
        configure=configure,
        min_size=1,
        max_size=4,
        timeout=pool_timeout,
        check=AsyncConnectionPool.check_connection,
        kwargs={"connect_timeout": max(1, int(pool_timeout))},
    )
    store = HistoryStore(pool)

    async def receive_alerts(request: Request) -> JSONResponse:
        body = await request.body()
        if len(body) > MAX_BODY:
            return _refuse(request, scrub, f"body larger than {MAX_BODY} bytes", len(body))
        try:
            records = parse_payload(body)
        except PayloadError as exc:
            return _refuse(request, scrub, str(exc), len(body))
        try:
            inserted = await store.store(records)
        except StoreUnavailable as exc:
            logger.error("alert history: database unavailable (%s); asking for a retry",
                         scrub.scrub_string(str(exc)))
            return JSONResponse({"error": "database unavailable, retry"}, status_code=503,
                                headers={"Retry-After": "10"})
        if prometheus_url:
            await _add_examples(store, records, prometheus_url)
        return JSONResponse({"received": len(records), "stored": inserted})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await store.open()
        try:
            yield
        finally:
            await store.close()

    app = Starlette(routes=[Route("/alerts", receive_alerts, methods=["POST"])],
                    lifespan=lifespan)
    if instrument:
        _instrument(app, conninfo, registry)
    return app


async def _add_examples(
    store: HistoryStore, records: list[AlertRecord], prometheus_url: str
) -> None:
    # A few queries per notification at most: Alertmanager waits for the answer.
    wanted = [r for r in records if r.status == "firing" and r.annotations.get(SELECTOR_ANNOTATION)]
    for record in wanted[:MAX_EXAMPLE_QUERIES]:
        selector = record.annotations[SELECTOR_ANNOTATION]
        found = await anyio.to_thread.run_sync(
            example_trace_ids, prometheus_url, selector, record.starts_at, datetime.now(UTC)
        )
        if found:
            try:
                await store.set_examples(record, found)
            except StoreUnavailable as exc:
                logger.warning("alert history: examples not stored (%s)", exc)


def _refuse(request: Request, scrub: Scrubber, reason: str, size: int) -> JSONResponse:
    # The reason names fields, never values; scrubbed all the same, as every way out is.
    logger.warning(
        "alert history: refused a payload: %s",
        scrub.scrub_string(reason),
        extra={"http_status": 400, "body_bytes": size,
               "user_agent": scrub.scrub_string(request.headers.get("user-agent", ""))},
    )
    return JSONResponse({"error": reason}, status_code=400)


def _instrument(app: Starlette, conninfo: str, registry: CollectorRegistry | None) -> None:
    from signalpost import HealthMonitor, PostgresCheck, setup

    health = HealthMonitor()  # resolves setup()'s runtime (and registry) on first use
    health.add(PostgresCheck(conninfo, settings=CheckSettings(name="alert_history_db")))
    setup(app, health=health, options=SetupOptions(registry=registry))
