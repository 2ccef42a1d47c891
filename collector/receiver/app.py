"""The local OTLP/HTTP receiver: ``POST /v1/traces`` and ``/v1/logs`` (protobuf, optionally
gzip) into the PostgreSQL store, with retention run in the background.

Answers as an OTLP/HTTP server does: 200 with an empty ``Export*ServiceResponse``; 400 for a
body that does not decode; 415 for OTLP/JSON (not supported here); 503 with ``Retry-After``
while the database is unavailable (the SDK exporters retry a 503, so nothing is lost during a
database restart shorter than their retry budget). ``GET /health`` answers 200 once the tables
exist.
"""

from __future__ import annotations

import gzip
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio.to_thread
import psycopg
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from psycopg_pool import ConnectionPool, PoolTimeout
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from collector.receiver.decode import log_rows, span_rows
from signalpost.lookup import schema

__all__ = ["MAX_BODY", "Retention", "create_app"]

logger = logging.getLogger("collector.receiver")
MAX_BODY = 16 * 1024 * 1024
_PROTOBUF = "application/x-protobuf"


@dataclass(frozen=True)
class Retention:
    """How long and how much the store keeps (whole hours are dropped, oldest first)."""

    max_age: timedelta = timedelta(hours=24)
    max_bytes: int = 1024 * 1024 * 1024
    check_every: float = 60.0


def _insert(table: str, columns: tuple[str, ...]) -> str:
    marks = ", ".join(["%s"] * len(columns))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"


_SPANS_INSERT = _insert(schema.SPANS, schema.SPAN_COLUMNS)
_LOGS_INSERT = _insert(schema.LOGS, schema.LOG_COLUMNS)


def create_app(
    conninfo: str,
    *,
    retention: Retention | None = None,
    clock: Callable[[], datetime] | None = None,
    pool_timeout: float = 5.0,
) -> Starlette:
    """Build the receiver for the store at ``conninfo`` (tables created at start-up)."""
    keep = retention or Retention()
    now = clock or (lambda: datetime.now(UTC))
    pool: ConnectionPool[Any] = ConnectionPool(
        conninfo, open=False, min_size=1, max_size=4, timeout=pool_timeout,
        check=ConnectionPool.check_connection,
        kwargs={"connect_timeout": max(1, int(pool_timeout)), "autocommit": True},
    )

    def body_of(request_body: bytes, request: Request) -> bytes | Response:
        if request.headers.get("content-type", _PROTOBUF).split(";")[0].strip() != _PROTOBUF:
            return Response("only OTLP/HTTP protobuf is accepted here", status_code=415)
        if len(request_body) > MAX_BODY:
            return Response(f"body larger than {MAX_BODY} bytes", status_code=413)
        if request.headers.get("content-encoding", "") == "gzip":
            try:
                return gzip.decompress(request_body)
            except (OSError, EOFError):
                return Response("body is not gzip", status_code=400)
        return request_body

    def write(sql: str, rows: list[tuple[Any, ...]]) -> Response | None:
        if not rows:
            return None
        try:
            with pool.connection() as conn, conn.cursor() as cur:
                cur.executemany(sql, rows)
        except (psycopg.OperationalError, PoolTimeout) as exc:
            logger.warning("otlp receiver: database unavailable (%s)", type(exc).__name__)
            return Response("store unavailable", status_code=503,
                            headers={"Retry-After": "5"})
        except psycopg.DataError as exc:  # a value PostgreSQL refuses: retrying cannot help
            logger.warning("otlp receiver: refused a batch (%s)", type(exc).__name__)
            return Response(f"values refused: {type(exc).__name__}", status_code=400)
        return None

    def make_endpoint(
        request_type: Any, response_type: Any, to_rows: Callable[[Any], list[tuple[Any, ...]]],
        sql: str,
    ) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            body = body_of(await request.body(), request)
            if isinstance(body, Response):
                return body
            try:
                rows = to_rows(request_type.FromString(body))
            except Exception as exc:  # protobuf's DecodeError and any malformed field
                return Response(f"not an OTLP request: {type(exc).__name__}", status_code=400)
            refused = await anyio.to_thread.run_sync(write, sql, rows)
            if refused is not None:
                return refused
            return Response(response_type().SerializeToString(), media_type=_PROTOBUF)

        return endpoint

    ready = threading.Event()
    stop = threading.Event()

    def maintain() -> None:
        while not stop.is_set():
            try:
                with pool.connection() as conn:
                    if not ready.is_set():
                        schema.migrate(conn)
                        ready.set()
                    schema.ensure_partitions(conn, now())
                    dropped = schema.drop_partitions(conn, now(), keep.max_age, keep.max_bytes)
                    if dropped:
                        logger.info("otlp receiver: retention dropped %s", ", ".join(dropped))
            except (psycopg.Error, PoolTimeout) as exc:
                logger.warning("otlp receiver: maintenance failed (%s)", type(exc).__name__)
            stop.wait(keep.check_every if ready.is_set() else 1.0)

    async def health(_: Request) -> Response:
        if ready.is_set():
            return JSONResponse({"status": "ok"})
        return JSONResponse({"status": "starting"}, status_code=503)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        pool.open(wait=False)
        worker = threading.Thread(target=maintain, name="otlp-retention", daemon=True)
        worker.start()
        try:
            yield
        finally:
            stop.set()
            worker.join(timeout=10)
            pool.close()

    routes = [
        Route("/v1/traces", make_endpoint(ExportTraceServiceRequest, ExportTraceServiceResponse,
                                          span_rows, _SPANS_INSERT), methods=["POST"]),
        Route("/v1/logs", make_endpoint(ExportLogsServiceRequest, ExportLogsServiceResponse,
                                        log_rows, _LOGS_INSERT), methods=["POST"]),
        Route("/health", health, methods=["GET"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
