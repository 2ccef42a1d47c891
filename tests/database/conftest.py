"""Fixtures for the database instrumentation tests: the session's PostgreSQL cluster."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from tests import postgres


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[postgres.PostgresServer]:
    """The throwaway cluster shared by the session (see :mod:`tests.postgres`)."""
    server = postgres.acquire()
    yield server
    postgres.release()


@pytest.fixture
def dsn(postgres_server: postgres.PostgresServer) -> Iterator[str]:
    """A connection string whose search_path is a fresh schema, dropped after the test."""
    if not postgres_server.is_running():
        postgres_server.start()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server.conninfo, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    yield f"{postgres_server.conninfo} options='-c search_path={schema}'"
    with psycopg.connect(postgres_server.conninfo, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
