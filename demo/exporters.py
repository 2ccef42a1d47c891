"""node_exporter and postgres_exporter as the local stack and the tests run them.

The Debian packages (``prometheus-node-exporter`` 1.5, ``prometheus-postgres-exporter``
0.11.1, installed by ``scripts/bootstrap.sh``) started by hand on loopback ports, never as
system services. node_exporter runs only the collectors the rules and the host dashboard read;
postgres_exporter reads the custom queries file the Prometheus generator writes
(:data:`prometheus.exporter_metrics.QUERIES_FILE`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from prometheus.exporter_knobs import ExporterKnobs
from prometheus.exporter_metrics import NODE_JOB, POSTGRES_JOB

__all__ = [
    "NODE_COLLECTORS",
    "exporter_targets",
    "node_exporter_argv",
    "postgres_dsn",
    "postgres_exporter_argv",
]

NODE_COLLECTORS: tuple[str, ...] = (
    "cpu",
    "diskstats",
    "filesystem",
    "loadavg",
    "meminfo",
    "netdev",
    "pressure",
    "uname",
)
"""node_exporter collectors kept: what the alerts and the host dashboard read."""


def _binary(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit(
        f"{names[0]} is not installed: run `bash scripts/bootstrap.sh` (Debian package "
        f"{names[0]}), or put the binary on PATH"
    )


def node_exporter_argv(listen: str) -> list[str]:
    """node_exporter on ``listen`` (``127.0.0.1:9100``) with :data:`NODE_COLLECTORS` only."""
    return [
        _binary("prometheus-node-exporter", "node_exporter"),
        f"--web.listen-address={listen}",
        "--collector.disable-defaults",
        *(f"--collector.{name}" for name in NODE_COLLECTORS),
    ]


def postgres_exporter_argv(listen: str, queries: Path) -> list[str]:
    """postgres_exporter on ``listen`` with the custom queries file ``queries``.

    The database to watch comes from the ``DATA_SOURCE_NAME`` environment variable
    (:func:`postgres_dsn`).
    """
    return [
        _binary("prometheus-postgres-exporter", "postgres_exporter"),
        f"--web.listen-address={listen}",
        f"--extend.query-path={queries}",
    ]


def postgres_dsn(host: str, port: int, user: str, database: str) -> str:
    """``DATA_SOURCE_NAME`` for a server on loopback with trust authentication."""
    return f"postgresql://{user}@{host}:{port}/{database}?sslmode=disable"


def exporter_targets(
    knobs: ExporterKnobs, node: str, postgres: str
) -> dict[str, dict[str, list[str]]]:
    """``exporters.services`` for a stack with one host and one database server: each exporter
    goes to the first service the knobs give one of that kind (none if they give none)."""
    local = {NODE_JOB: node, POSTGRES_JOB: postgres}
    out: dict[str, dict[str, list[str]]] = {}
    for job, target in local.items():
        owners = list(knobs.targets(job))
        if owners:
            out.setdefault(owners[0], {})[job] = [target]
    return out
