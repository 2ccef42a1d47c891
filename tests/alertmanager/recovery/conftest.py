"""A migrated alert-history database of its own for the recovery tests."""

from __future__ import annotations

import gc
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from celery import Celery

from alertmanager.history.migrate import migrate
from tests import postgres
from tests.queues.jobs_listing import WEB_CREDENTIALS
from tests.queues.redis_server import redis_server
from tests.queues.workers import Worker
from tests.servers import free_port, serve, uvicorn_command


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


@pytest.fixture(scope="module")
def celery_stack(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, Celery]]:
    """A real Celery worker on a real Redis and the web app serving its runs at /jobs
    (with credentials); yields (web URL, a client app)."""
    directory = tmp_path_factory.mktemp("recovery-celery")
    with redis_server(directory) as url:
        client = Celery("recovery-test-client", broker=url, backend=url)
        client.conf.update(task_serializer="json", accept_content=["json"],
                           result_serializer="json", task_default_queue="default")
        worker = Worker("rw1", "default", {"SIGNALPOST_TEST_BROKER": url}, directory)
        port = free_port()
        try:
            worker.wait_ready(client)
            with serve(uvicorn_command("tests.queues.jobs_web:app", port),
                       f"http://127.0.0.1:{port}", directory / "web.log",
                       env={"JOBS_WEB_BROKER": url, **WEB_CREDENTIALS}) as web:
                yield web.base_url, client
        finally:
            worker.stop()
            gc.collect()  # AsyncResult.__del__ talks to the backend: before Redis stops
            client.backend.result_consumer.stop()  # the results' pub/sub connection
            client.close()
