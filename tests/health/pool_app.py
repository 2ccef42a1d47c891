"""An app whose own lifespan opens the pool its health check uses, served by uvicorn in
tests/health/test_served.py (``POOL_APP_CONNINFO`` names the database)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from psycopg_pool import AsyncConnectionPool

from signalpost.health import CheckSettings, HealthMonitor, PostgresCheck
from signalpost.sdk import setup

pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
    os.environ["POOL_APP_CONNINFO"], open=False, min_size=1, max_size=2
)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    await pool.open(wait=True, timeout=30)
    try:
        yield
    finally:
        await pool.close()


app = FastAPI(lifespan=lifespan)
monitor = HealthMonitor()
# A long interval: a first round that ran too early would not be repaired during the test.
monitor.add(PostgresCheck(settings=CheckSettings(interval=300), pool=pool))
setup(app, health=monitor)
