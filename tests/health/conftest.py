"""Fixtures for the health tests: the session's PostgreSQL cluster and monitors."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import psycopg
import pytest
from prometheus_client import CollectorRegistry
from psycopg import sql

from signalpost.health import HealthMonitor
from signalpost.runtime import Runtime
from tests import postgres


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[postgres.PostgresServer]:
    """The throwaway cluster shared by the session (see :mod:`tests.postgres`)."""
    server = postgres.acquire()
    yield server
    postgres.release()


@pytest.fixture
def pg(postgres_server: postgres.PostgresServer) -> Iterator[postgres.PostgresServer]:
    """The cluster, running; restarted after the test if the test stopped it."""
    if not postgres_server.is_running():
        postgres_server.start()
    yield postgres_server
    if not postgres_server.is_running():
        postgres_server.start()


@pytest.fixture
def schema_dsn(pg: postgres.PostgresServer) -> Iterator[tuple[str, str]]:
    """(conninfo, schema name) of a fresh schema, dropped after the test."""
    schema = f"h_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg.conninfo, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    yield f"{pg.conninfo} options='-c search_path={schema}'", schema
    with psycopg.connect(pg.conninfo, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture
async def make_monitor(
    registry: CollectorRegistry,
) -> AsyncIterator[Callable[..., HealthMonitor]]:
    """Factory for monitors on the test's registry; all are stopped at teardown."""
    made: list[HealthMonitor] = []

    def make(**kwargs: Any) -> HealthMonitor:
        given = {k: kwargs.pop(k) for k in ("classifier", "clock") if k in kwargs}
        monitor = HealthMonitor(runtime=Runtime(registry=registry).with_overrides(**given), **kwargs)
        made.append(monitor)
        return monitor

    yield make
    for monitor in made:
        await monitor.stop()
