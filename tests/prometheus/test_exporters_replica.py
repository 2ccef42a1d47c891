"""PostgresReplicationLag on a real streaming replica: a primary, a replica made with
``pg_basebackup -R``, postgres_exporter 0.11.1 watching the replica with the custom queries, and
a Prometheus 2.42 evaluating the generated rule (``for`` 0, 2 s threshold through the knobs).

The replica's replay is paused (``pg_wal_replay_pause()``) while the primary keeps writing: it
receives the WAL but does not apply it, which is what a replica behind looks like.
"""

from __future__ import annotations

import os
import pwd
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from prometheus import exporter_metrics as x
from prometheus.catalog import Alert
from tests.postgres import PostgresServer
from tests.prometheus.test_exporters_live import TIMEOUT, Stack, started
from tests.servers import wait_for

pytestmark = pytest.mark.slow


def _replica_of(primary: PostgresServer) -> PostgresServer:
    root = Path(tempfile.mkdtemp(prefix="signalpost-pg-replica-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # as demo.postgres does: the server's files belong to `postgres`
        account = pwd.getpwnam("postgres")
        os.chown(root, account.pw_uid, account.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*as_user, str(primary.bin_dir / "pg_basebackup"), "-D", str(root / "data"),
         "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres", "-R", "-X", "stream"],
        check=True, capture_output=True,
    )  # fmt: skip
    return PostgresServer(root)  # finds the copied cluster (standby.signal) and keeps it


@pytest.fixture(scope="module")
def replica_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, Any]]:
    primary = PostgresServer()
    replica: PostgresServer | None = None
    try:
        primary.start()
        replica = _replica_of(primary)
        replica.start()
        with started(tmp_path_factory.mktemp("replica"), replica) as stack:
            yield stack, primary
    finally:
        if replica is not None:
            replica.destroy()
        primary.destroy()


def test_a_replica_behind_its_primary_fires_and_recovers(replica_stack: tuple[Stack, Any]) -> None:
    stack, primary = replica_stack
    alert = Alert.POSTGRES_REPLICATION_LAG
    wait_for(lambda: stack.query(f"{x.PG_REPLICATION_IS_REPLICA} == 1"), "the replica flag",
             timeout=TIMEOUT)  # fmt: skip
    with psycopg.connect(primary.conninfo, autocommit=True) as writer, stack.connect() as reader:
        writer.execute("CREATE TABLE tick (at timestamptz)")
        writer.execute("INSERT INTO tick VALUES (now())")
        # Replayed once: the replica has a last replayed transaction to measure from.
        wait_for(lambda: reader.execute("SELECT 1 FROM pg_class WHERE relname = 'tick'")
                 .fetchall(), "the replica replaying")  # fmt: skip
        wait_for(lambda: stack.query(f"{x.PG_REPLICATION_LAG} == 0"), "no lag", timeout=TIMEOUT)
        assert not stack.firing(alert)
        reader.execute("SELECT pg_wal_replay_pause()")
        try:
            writer.execute("INSERT INTO tick VALUES (now())")
            fired = wait_for(lambda: stack.firing(alert), "firing", timeout=TIMEOUT)
            labels = {k: fired[0]["labels"][k] for k in ("service", "job", "severity")}
            assert labels == {"service": "shop", "job": "postgres", "severity": "warning"}
            assert "lags behind its primary" in fired[0]["annotations"]["summary"]
        finally:
            reader.execute("SELECT pg_wal_replay_resume()")
    wait_for(lambda: not stack.firing(alert), "resolved", timeout=TIMEOUT)
