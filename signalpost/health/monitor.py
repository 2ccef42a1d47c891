"""Runs health checks in the background, caches their results and records their metrics.

Each check has its own asyncio task, so a slow or hung check never delays another, and the
request path only ever reads the cache. Sync checks run in a daemon thread per run (a hung
thread cannot block interpreter exit); while a timed-out thread is still running, later runs
of that check report it as hung instead of piling up threads.

A check's status changes are logged on ``signalpost.health``: a failure (also when a check fails
from its first run), a degradation and a recovery, each once, not on every run.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Unpack

from signalpost import metrics
from signalpost.cardinality import BoundedValues
from signalpost.clock import Clock
from signalpost.health.changes import log_change, next_state
from signalpost.health.check import (
    FunctionCheck,
    HealthCheck,
    is_async_check,
)
from signalpost.health.gauges import StatusGauges
from signalpost.health.report import ComponentHealth, HealthReport
from signalpost.health.result import CheckResult, Status
from signalpost.health.running import running_loop
from signalpost.health.runs import CheckEntry, run_check, run_periodically
from signalpost.health.threaded import start_in_thread
from signalpost.runtime import Collaborators, Runtime, deprecated_collaborators
from signalpost.runtime import current as current_runtime
from signalpost.semconv import health as semconv

__all__ = ["HealthMonitor"]


class _Bound:
    """What a monitor records with, from the runtime it resolved on first use."""

    def __init__(self, shared: Runtime, overall: Callable[[], Status]) -> None:
        self.classifier = shared.classifier
        self.clock = shared.clock
        self.gauges = StatusGauges(shared.registry, overall)
        self.duration = metrics.histogram(semconv.CHECK_DURATION, shared.registry)
        self.last_success = metrics.gauge(semconv.CHECK_LAST_SUCCESS, shared.registry)


class HealthMonitor:
    """Owns the checks, runs them in the background and answers with cached results.

    Example:
        >>> monitor = HealthMonitor()
        >>> monitor.add(PostgresCheck("host=db dbname=app"))
        >>> @monitor.check("cache", critical=False, interval=30)
        ... async def cache() -> bool:
        ...     return await redis.ping()
        >>> await monitor.start()   # in the app's lifespan; await monitor.stop() at shutdown

    Args:
        runtime: The runtime to record with: its registry, the classifier of exceptions raised
            by checks, and the clock the monitor reads ``checked_at``, last-success times and
            latencies from and waits on (default: :func:`signalpost.runtime.current`,
            resolved on first use: the first start, run or report, not at construction, so a
            monitor built before :func:`signalpost.setup` records where set-up says). The
            keywords ``registry``, ``classifier`` and ``clock`` still override it for one
            release, with a :class:`DeprecationWarning`.
        stale_after: A result older than ``stale_after * interval + timeout`` seconds is
            reported unhealthy (the check's task died or the loop is blocked), by the report
            and by the status gauges, which read it when they are collected.
    """

    def __init__(
        self,
        *,
        runtime: Runtime | None = None,
        stale_after: float = 3.0,
        **deprecated: Unpack[Collaborators],
    ) -> None:
        self._runtime = runtime
        self._given = deprecated_collaborators(
            "HealthMonitor", deprecated, ("registry", "classifier", "clock")
        )
        self._bound: _Bound | None = None
        self._bind_lock = threading.RLock()
        self._stale_after = stale_after
        self._names = BoundedValues(100)
        self._entries: dict[str, CheckEntry] = {}
        self._states: dict[str, ComponentHealth] = {}
        self._running = False
        self._event_loop: asyncio.AbstractEventLoop | None = None

    def _bind(self) -> _Bound:
        """Resolve the runtime once, on first use (a start, a run or a report), and create the
        instruments of the checks added so far in its registry."""
        bound = self._bound
        if bound is not None:
            return bound
        with self._bind_lock:
            if self._bound is None:
                shared = self._runtime if self._runtime is not None else current_runtime()
                bound = _Bound(shared.with_overrides(**self._given), lambda: self.report().status)
                for entry in list(self._entries.values()):
                    self._instrument(bound, entry)
                self._bound = bound
                self._publish()
            return self._bound

    def _instrument(self, bound: _Bound, entry: CheckEntry) -> None:
        entry.duration = bound.duration.labels(entry.label, entry.kind)
        entry.last_success = bound.last_success.labels(entry.label, entry.kind)
        name = entry.check.name
        bound.gauges.add(name, entry.label, entry.kind, lambda: self._current(name).status)

    @property
    def _clock(self) -> Clock:
        return self._bind().clock

    # -- registration -----------------------------------------------------------------------

    def add(self, check: HealthCheck) -> HealthCheck:
        """Register ``check`` (started at once if the monitor runs); returns it.

        Raises:
            ValueError: A check with the same name exists, or timeout/interval are not positive.
        """
        if check.name in self._entries:
            raise ValueError(f"a health check named {check.name!r} is already registered")
        if not check.timeout > 0 or not check.interval > 0:
            raise ValueError(f"health check {check.name!r}: timeout and interval must be > 0")
        kind = semconv.KIND_CRITICAL if check.critical else semconv.KIND_NON_CRITICAL
        entry = CheckEntry(
            check=check, is_async=is_async_check(check), kind=kind, label=self._names(check.name)
        )
        with self._bind_lock:
            # The state first: the gauges (read from the scrape's thread) go by the entries.
            self._states[check.name] = ComponentHealth(check.name, check.critical)
            self._entries[check.name] = entry
            bound = self._bound
            if bound is not None:  # else the instruments are created on first use
                self._instrument(bound, entry)
                self._publish()
        loop = self._event_loop
        if self._running and loop is not None:
            if running_loop() is loop:
                self._start_task(entry, False)
            else:  # in a worker the checks run on a loop in a thread of their own
                loop.call_soon_threadsafe(self._start_task, entry, False)
        return check

    def check(
        self,
        name: str,
        *,
        critical: bool = True,
        timeout: float = 5.0,
        interval: float = 15.0,
    ) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
        """Decorator registering a function (sync or ``async``) as a check.

        The function takes no arguments and returns a :class:`CheckResult`, a
        :class:`Status`, a bool or ``None`` (healthy), or raises (unhealthy).
        """

        def register(func: Callable[[], Any]) -> Callable[[], Any]:
            self.add(FunctionCheck(name, func, critical, timeout, interval))
            return func

        return register

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self, *, wait: bool = False) -> None:
        """Start one background task per check (idempotent).

        Args:
            wait: Return only after every check has run once (bounded by the timeouts), so
                that readiness is known when start-up ends.
        """
        if self._running:
            return
        self._bind()
        self._running = True
        self._event_loop = asyncio.get_running_loop()
        if wait:
            await self.run_once()
        for entry in list(self._entries.values()):
            self._start_task(entry, wait)

    def start_in_thread(self, *, timeout: float | None = 30.0) -> Callable[[], None]:
        """Run the checks on an event loop of their own, in a daemon thread
        (:func:`~signalpost.health.threaded.start_in_thread`, which says more).

        Returns:
            A function that stops the checks and the thread (waits up to 5 s).
        """
        return start_in_thread(self, timeout)

    def _start_task(self, entry: CheckEntry, delay_first: bool) -> None:
        if not self._running or entry.task is not None:
            return
        entry.task = asyncio.get_running_loop().create_task(
            run_periodically(entry, self._run, self._clock, delay_first=delay_first),
            name=f"signalpost-health-{entry.check.name}",
        )

    async def stop(self) -> None:
        """Cancel the background tasks and wait for them to end. Threads left hung are
        abandoned (they are daemon threads)."""
        self._running = False
        tasks = [e.task for e in self._entries.values() if e.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for entry in self._entries.values():
            entry.task = None

    @property
    def running(self) -> bool:
        """Whether background tasks are running."""
        return self._running

    async def run_once(self) -> HealthReport:
        """Run every check now, concurrently, and return the report."""
        await asyncio.gather(*(self._run(entry) for entry in list(self._entries.values())))
        return self.report()

    # -- reading ----------------------------------------------------------------------------

    def report(self) -> HealthReport:
        """Return the cached state of every check; results too old are reported stale."""
        now = self._clock.time()
        components = tuple(self._current(name, now) for name in list(self._entries))
        return HealthReport.of(components, now)

    def _current(self, name: str, now: float | None = None) -> ComponentHealth:
        """The cached state of check ``name``, unhealthy when it is stale."""
        now = self._clock.time() if now is None else now
        entry, state = self._entries[name], self._states[name]
        limit = self._stale_after * entry.check.interval + entry.check.timeout
        if self._running and state.checked_at is not None and now - state.checked_at > limit:
            state = replace(
                state,
                status=Status.UNHEALTHY,
                error=f"stale: last checked {now - state.checked_at:.1f} s ago",
            )
        return state

    # -- running ----------------------------------------------------------------------------

    async def _run(self, entry: CheckEntry) -> None:
        bound = self._bind()
        ran = await run_check(entry, bound.clock, bound.classifier)
        self._record(entry, ran.result, ran.latency, ran.error_class)

    def _record(
        self, entry: CheckEntry, result: CheckResult, latency: float, error_class: str | None
    ) -> None:
        now = self._clock.time()
        previous = self._states[entry.check.name]
        state = next_state(previous, entry.check, result, latency, error_class, now)
        self._states[entry.check.name] = state
        self._publish()
        entry.duration.observe(latency)
        if result.status is not Status.UNHEALTHY:
            entry.last_success.set(now)
        log_change(previous, state)

    def _publish(self) -> None:
        """Write every check's current status, stale ones included: multiprocess mode reads
        what was written, so a check whose task died shows unhealthy once any other runs."""
        report = self.report()
        self._bind().gauges.record({c.name: c.status for c in report.components}, report.status)
