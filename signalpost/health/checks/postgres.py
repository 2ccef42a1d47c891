"""PostgreSQL reachability: connect (or borrow from a pool) and run a trivial query."""

from __future__ import annotations

from typing import Any

from signalpost._extras import missing_extra
from signalpost.health.checks.clocked import CheckClock
from signalpost.health.checks.settings import BuiltinCheck, CheckSettings
from signalpost.health.result import CheckResult
from signalpost.runtime import Runtime

try:
    import psycopg
    from psycopg_pool import AsyncConnectionPool
except ImportError as _error:  # the 'postgres' extra is not installed
    raise missing_extra("postgres", _error) from _error

__all__ = ["PostgresCheck"]


class PostgresCheck(BuiltinCheck):
    """Connects and runs ``query``; slow answers are degraded, failures unhealthy.

    Args:
        conninfo: libpq connection string; a new connection is opened per run, which also
            proves that the server accepts connections. Ignored when ``pool`` is given.
        pool: An open :class:`psycopg_pool.AsyncConnectionPool` to borrow from instead (checks
            the pool's health as the application sees it).
        settings: Name (default ``postgres``), whether readiness depends on it (by default),
            timeout (5 s; also libpq's connect timeout), interval (15 s) and the total latency
            (connect + query) above which the result is degraded (1 s).
        query: The statement run; it must be cheap.
        runtime: Where the clock comes from (default: :func:`signalpost.runtime.current`,
            resolved at the first run).
        **deprecated: The keywords that came before ``settings=`` (``name``, ``critical``,
            ``timeout``, ``interval``, ``degraded_after``) and ``runtime=`` (``clock``):
            they work for one release, with a :class:`DeprecationWarning`.
    """

    DEFAULTS = CheckSettings(
        name="postgres", critical=True, timeout=5.0, interval=15.0, degraded_after=1.0
    )

    def __init__(
        self,
        conninfo: str = "",
        *,
        pool: AsyncConnectionPool[Any] | None = None,
        settings: CheckSettings | None = None,
        query: str = "SELECT 1",
        runtime: Runtime | None = None,
        **deprecated: Any,
    ) -> None:
        given = self._settle(settings, deprecated, ("clock",))
        if not conninfo and pool is None:
            raise ValueError("PostgresCheck needs a conninfo or a pool")
        self.conninfo = conninfo
        self.pool = pool
        self._clock = CheckClock(runtime, given.get("clock"))
        self.query = query

    async def run(self) -> CheckResult:
        """Connect, run the query and judge the latency."""
        clock = self._clock.resolve()
        started = clock.monotonic()
        if self.pool is not None:
            async with self.pool.connection(timeout=self.timeout) as conn:
                connected = clock.monotonic()
                details = await self._query(conn)
        else:
            conn = await psycopg.AsyncConnection.connect(
                self.conninfo, connect_timeout=max(1, round(self.timeout)), autocommit=True
            )
            async with conn:
                connected = clock.monotonic()
                details = await self._query(conn)
        finished = clock.monotonic()
        details["connect_seconds"] = round(connected - started, 6)
        details["query_seconds"] = round(finished - connected, 6)
        total = finished - started
        if total > self.degraded_after:
            return CheckResult.degraded(
                f"slow: {total:.3f} s, threshold {self.degraded_after:g} s", **details
            )
        return CheckResult.healthy(**details)

    async def _query(self, conn: psycopg.AsyncConnection[Any]) -> dict[str, Any]:
        await conn.execute(self.query)
        return {
            "server_version": conn.info.server_version,
            "database": conn.info.dbname,
        }
