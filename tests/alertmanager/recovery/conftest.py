"""A migrated alert-history database of its own for the recovery tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from alertmanager.history.migrate import migrate
from tests import postgres


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[postgres.PostgresServer]:
    server = postgres.acquire()
    yield server
    postgres.release()


@pytest.fixture(scope="module")
def database(postgres_server: postgres.PostgresServer) -> Iterator[str]:
    """A fresh, migrated database; yields its conninfo."""
    name = f"recovery_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_server.conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    conninfo = postgres_server.conninfo.replace("dbname=postgres", f"dbname={name}")
    migrate(conninfo)
    yield conninfo
    if not postgres_server.is_running():
        postgres_server.start()
    with psycopg.connect(postgres_server.conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
