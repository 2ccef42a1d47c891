"""What node_exporter 1.5 and postgres_exporter 0.11.1 expose, as the rules and boards use it.

The one place these names are typed (checked against both exporters run here, against a real
PostgreSQL 15). postgres_exporter has no built-in series for lock waits or for replication
lag in 0.11.1: :data:`QUERIES` adds them (``--extend.query-path``), and
:func:`queries_file` renders that file for both stacks.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "EXPORTED_SERIES",
    "NODE_CPU",
    "NODE_FS_AVAIL",
    "NODE_FS_FILES",
    "NODE_FS_FILES_FREE",
    "NODE_FS_READONLY",
    "NODE_FS_SIZE",
    "NODE_JOB",
    "NODE_LOAD5",
    "NODE_MEM_AVAILABLE",
    "NODE_MEM_TOTAL",
    "NODE_PSI_MEMORY_WAITING",
    "PG_BLKS_HIT",
    "PG_BLKS_READ",
    "PG_CONNECTIONS",
    "PG_DEADLOCKS",
    "PG_LOCKS_WAITING",
    "PG_MAX_CONNECTIONS",
    "PG_MAX_TX_DURATION",
    "PG_REPLICATION_IS_REPLICA",
    "PG_REPLICATION_LAG",
    "PG_UP",
    "POSTGRES_JOB",
    "QUERIES",
    "QUERIES_FILE",
    "queries_file",
]

NODE_JOB = "node"
"""The scrape job (``job`` label) of every node_exporter target."""
POSTGRES_JOB = "postgres"
"""The scrape job (``job`` label) of every postgres_exporter target."""

NODE_FS_AVAIL = "node_filesystem_avail_bytes"
NODE_FS_SIZE = "node_filesystem_size_bytes"
NODE_FS_FILES = "node_filesystem_files"
NODE_FS_FILES_FREE = "node_filesystem_files_free"
NODE_FS_READONLY = "node_filesystem_readonly"
NODE_MEM_AVAILABLE = "node_memory_MemAvailable_bytes"
NODE_MEM_TOTAL = "node_memory_MemTotal_bytes"
NODE_PSI_MEMORY_WAITING = "node_pressure_memory_waiting_seconds_total"
"""Pressure stall information ("some"): seconds tasks waited for memory. Linux 4.20+ only."""
NODE_LOAD5 = "node_load5"
NODE_CPU = "node_cpu_seconds_total"

PG_UP = "pg_up"
PG_CONNECTIONS = "pg_stat_activity_count"
"""Backends per ``datname`` and ``state`` (idle ones included: they hold a connection)."""
PG_MAX_CONNECTIONS = "pg_settings_max_connections"
PG_MAX_TX_DURATION = "pg_stat_activity_max_tx_duration"
"""Age in seconds of the oldest open transaction per ``datname`` and ``state``."""
PG_DEADLOCKS = "pg_stat_database_deadlocks"
PG_BLKS_HIT = "pg_stat_database_blks_hit"
PG_BLKS_READ = "pg_stat_database_blks_read"

QUERIES: dict[str, dict[str, Any]] = {
    # Row locks wait on a transaction id, which has no database: count per server.
    "pg_locks_waiting": {
        "query": "SELECT count(*) AS count FROM pg_locks WHERE NOT granted",
        "master": True,
        "metrics": [
            {"count": {"usage": "GAUGE", "description": "Lock requests not granted yet"}}
        ],
    },
    # Zero on a primary and on a replica that has replayed everything it received, so an idle
    # primary does not make its replicas look late.
    "pg_replication": {
        "query": (
            "SELECT CASE WHEN NOT pg_is_in_recovery() "
            "OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
            "ELSE GREATEST(0, EXTRACT(EPOCH FROM (now() - pg_last_xact_replay_timestamp()))) "
            "END AS lag, "
            "CASE WHEN pg_is_in_recovery() THEN 1 ELSE 0 END AS is_replica"
        ),
        "master": True,
        "metrics": [
            {"lag": {"usage": "GAUGE", "description": "Replay lag behind the primary, seconds"}},
            {"is_replica": {"usage": "GAUGE", "description": "1 on a replica, 0 on a primary"}},
        ],
    },
}
"""postgres_exporter custom queries (``--extend.query-path``): ``<name>_<column>`` series."""
PG_LOCKS_WAITING = "pg_locks_waiting_count"
PG_REPLICATION_LAG = "pg_replication_lag"
PG_REPLICATION_IS_REPLICA = "pg_replication_is_replica"

QUERIES_FILE = "postgres-exporter-queries.yml"
"""File name of :func:`queries_file`'s output beside ``prometheus.yml``."""


EXPORTED_SERIES: frozenset[str] = frozenset(
    {
        NODE_FS_AVAIL, NODE_FS_SIZE, NODE_FS_FILES, NODE_FS_FILES_FREE, NODE_FS_READONLY,
        NODE_MEM_AVAILABLE, NODE_MEM_TOTAL, NODE_PSI_MEMORY_WAITING, NODE_LOAD5, NODE_CPU,
        PG_UP, PG_CONNECTIONS, PG_MAX_CONNECTIONS, PG_MAX_TX_DURATION, PG_DEADLOCKS,
        PG_BLKS_HIT, PG_BLKS_READ, PG_LOCKS_WAITING, PG_REPLICATION_LAG,
        PG_REPLICATION_IS_REPLICA,
    }
)  # fmt: skip
"""Every exporter series the rules and dashboards read (the live test checks each is scraped)."""


def queries_file() -> dict[str, dict[str, Any]]:
    """The content of postgres_exporter's ``--extend.query-path`` file."""
    return QUERIES
