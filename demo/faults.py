"""Failure injection, switchable at run time: every switch is a row in ``demo_faults``.

The API and the worker read the switches (cached for a second), so one
``PUT /faults/hung_job?enabled=true`` or ``python -m demo.faults enable hung_job`` reaches
both processes. Each fault is made to light up particular alerts and dashboard panels:

* ``transient_errors``: matching and parsing attempts fail with network-style errors
  (retries by error class, JobRetryStorm);
* ``bad_data``: resume parsing fails for good with a data error (JobFailed, JobNotSucceeded);
* ``missing_config``: matching fails for good, its model setting missing (JobFailed);
* ``slow_queries``: every API request waits 300 ms in PostgreSQL (HighLatency, DatabaseSlow);
* ``hung_job``: the next matching run deadlocks: it stops reporting progress and waits until
  it is cancelled (JobStuck; the recovery runner cancels and retries it). The switch turns
  itself off as that run takes it, so the retry runs normally;
* ``held_job``: the next matching run holds before scoring, reading the database every 0.2 s,
  until a read fails: a run caught in the middle of its work by a database outage (stop
  PostgreSQL while it holds; the run fails with a transient error, the worker records the
  failure once the database is back, and the recovery runner re-enqueues it when DatabaseDown
  resolves). One-shot, like ``hung_job``;
* ``error_burst``: the API answers most requests with 500 (ErrorBudgetBurn*, ErrorSpike);
* ``worker_paused``: the worker claims no more jobs, they pile up in ``job_queue``
  (JobQueueStalled, JobWaitingTooLong; the backlog panels).
* ``scoring_down``: the AI scoring API refuses connections; its circuit breaker opens, matching
  falls back to the plain skill overlap, the worker's health is degraded (CircuitOpen).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from enum import StrEnum
from typing import Any

import psycopg

__all__ = ["Fault", "FaultSwitches"]


class Fault(StrEnum):
    """The faults the demo can inject."""

    TRANSIENT_ERRORS = "transient_errors"
    BAD_DATA = "bad_data"
    MISSING_CONFIG = "missing_config"
    SLOW_QUERIES = "slow_queries"
    HUNG_JOB = "hung_job"
    HELD_JOB = "held_job"
    ERROR_BURST = "error_burst"
    WORKER_PAUSED = "worker_paused"
    SCORING_DOWN = "scoring_down"


CACHE_SECONDS = 1.0
"""How long the API and the worker keep the switches they read: a switch set now is seen by
every read that starts this long after."""


class FaultSwitches:
    """Reads the switches from the database, at most once a second."""

    def __init__(self, pool: Any, ttl: float = CACHE_SECONDS) -> None:
        self._pool = pool
        self._ttl = ttl
        self._enabled: frozenset[Fault] = frozenset()
        self._read_at = float("-inf")
        self._lock = asyncio.Lock()

    async def enabled(self) -> frozenset[Fault]:
        """Return the faults switched on now."""
        if time.monotonic() - self._read_at < self._ttl:
            return self._enabled
        async with self._lock:
            if time.monotonic() - self._read_at >= self._ttl:
                async with self._pool.connection() as conn:
                    rows = await (
                        await conn.execute("SELECT name FROM demo_faults WHERE enabled")
                    ).fetchall()
                self._enabled = frozenset(
                    Fault(r[0]) for r in rows if r[0] in Fault._value2member_map_
                )
                self._read_at = time.monotonic()
        return self._enabled

    async def is_on(self, fault: Fault) -> bool:
        """Return whether ``fault`` is switched on."""
        return fault in await self.enabled()

    async def take(self, fault: Fault) -> bool:
        """Switch a one-shot ``fault`` off; return whether this caller was the one to do it
        (of several runs that see it on, exactly one takes it)."""
        async with self._pool.connection() as conn:
            row = await (
                await conn.execute(
                    "UPDATE demo_faults SET enabled = false, changed_at = now() "
                    "WHERE name = %s AND enabled RETURNING name",
                    (fault.value,),
                )
            ).fetchone()
        self._read_at = float("-inf")
        return row is not None

    async def set(self, fault: Fault, enabled: bool) -> None:
        """Switch ``fault`` on or off for every process using the database."""
        async with self._pool.connection() as conn:
            await conn.execute(
                "INSERT INTO demo_faults (name, enabled) VALUES (%s, %s) "
                "ON CONFLICT (name) DO UPDATE SET enabled = EXCLUDED.enabled, changed_at = now()",
                (fault.value, enabled),
            )
        self._read_at = float("-inf")


def main(argv: list[str] | None = None) -> int:
    """``python -m demo.faults enable|disable FAULT`` and ``python -m demo.faults list``."""
    parser = argparse.ArgumentParser(
        prog="python -m demo.faults", description=__doc__.split("\n")[0]
    )
    parser.add_argument("action", choices=["enable", "disable", "list"])
    parser.add_argument("fault", nargs="?", choices=[f.value for f in Fault])
    args = parser.parse_args(argv)
    # Default: the local stack's database (python -m demo.stack).
    url = os.environ.get(
        "DEMO_DATABASE_URL", "host=127.0.0.1 port=5433 user=postgres dbname=recruiting"
    )
    with psycopg.connect(url, autocommit=True) as conn:
        if args.action == "list":
            on = {r[0] for r in conn.execute("SELECT name FROM demo_faults WHERE enabled")}
            for fault in Fault:
                print(f"{fault.value:18} {'on' if fault.value in on else 'off'}")
            return 0
        if args.fault is None:
            parser.error("name a fault")
        conn.execute(
            "INSERT INTO demo_faults (name, enabled) VALUES (%s, %s) "
            "ON CONFLICT (name) DO UPDATE SET enabled = EXCLUDED.enabled, changed_at = now()",
            (args.fault, args.action == "enable"),
        )
    print(f"{args.fault}: {'on' if args.action == 'enable' else 'off'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
