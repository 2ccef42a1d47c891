"""arq runs across workers for the running-jobs endpoint: :class:`ArqRunningJobs`.

arq keeps no record of which worker runs a job, nor of its progress, so the workers publish
their runs to Redis themselves:

* In each worker, a :class:`RunPublisher` task on the worker's event loop writes every
  monitored run in progress into the hash ``signalpost:arq:runs:<worker>`` (field = job ID,
  value = the published form of :mod:`~signalpost.instrumentation.jobs.published`, progress
  message scrubbed), at most once per ``interval`` and only when it changed, and deletes the
  field when the run ends. The hash expires unless refreshed (a killed worker's runs vanish
  after ``ttl``), and the sorted set ``signalpost:arq:workers`` holds each worker with the
  time its hash expires.
* In the web app, :class:`ArqRunningJobs` reads the hashes of the live workers (a plain,
  blocking redis-py client; the endpoint calls it in a thread), keeps the runs whose arq
  in-progress key still exists (so a run that just ended is not listed), and cancels through
  arq's abort set, which every worker with ``allow_abort_jobs`` polls.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
from collections.abc import Callable
from typing import Any, cast

import redis
from arq.connections import ArqRedis, RedisSettings
from arq.constants import abort_jobs_ss, in_progress_key_prefix

from signalpost import runtime
from signalpost.failsafe import note_failure
from signalpost.instrumentation.jobs.published import (
    MARK,
    change_key,
    from_published,
    publishable,
)
from signalpost.instrumentation.jobs.running import (
    RunningJob,
    RunSourceUnavailable,
    RunView,
    running_job,
)
from signalpost.instrumentation.scrub import Scrubber

__all__ = ["WORKERS_KEY", "ArqRunningJobs", "RunPublisher", "runs_key"]

WORKERS_KEY = "signalpost:arq:workers"
"""Sorted set: every publishing worker, scored with the Unix time its runs hash expires."""


def runs_key(worker: str) -> str:
    """The Redis hash holding the runs ``worker`` is running."""
    return f"signalpost:arq:runs:{worker}"


def worker_name() -> str:
    """This process as the running-jobs list names it: ``<hostname>:<pid>``."""
    return f"{socket.gethostname()}:{os.getpid()}"


class RunPublisher:
    """Publishes the monitored arq runs of one worker process to Redis.

    Args:
        interval: Seconds between two publications (a run is listed within this of its
            start; its progress is at most this old).
        ttl: Seconds after which the runs of a worker that stopped publishing (killed)
            are no longer listed; at least ``2 * interval``.
        scrubber: Scrubs progress messages before they leave; the shared default if ``None``.
        clock: Wall-clock time.
    """

    def __init__(
        self,
        *,
        interval: float = 1.0,
        ttl: float = 10.0,
        scrubber: Scrubber | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if interval <= 0:
            raise ValueError(f"interval: expected a number of seconds > 0, got {interval!r}")
        self._interval = interval
        self._ttl = max(ttl, 2 * interval)
        self._scrubber = scrubber
        self._clock = clock
        self._live: dict[str, RunView] = {}
        self._ended: set[str] = set()
        self._published: dict[str, tuple[Any, ...]] = {}
        self._redis: ArqRedis | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._worker = ""
        self._failing = False

    def begin(self, run: RunView, redis_pool: ArqRedis) -> None:
        """``run`` started in this worker (``redis_pool``: the worker's ``ctx["redis"]``)."""
        self._redis = redis_pool
        self._live[run.job_id] = run
        self._ended.discard(run.job_id)
        if self._task is None or self._task.done():
            try:
                self._worker = worker_name()
                self._wake = asyncio.Event()
                self._task = asyncio.get_running_loop().create_task(
                    self._loop(), name="signalpost-arq-publisher"
                )
            except Exception as failure:  # never let the listing break the job
                note_failure("arq progress publisher start", failure)

    def end(self, job_id: str) -> None:
        """The run ``job_id`` ended: remove it from Redis at the next publication."""
        self._live.pop(job_id, None)
        if job_id in self._published:
            self._ended.add(job_id)
        if not self._live:
            self._wake.set()  # flush now, so the task is not left pending at shut-down

    async def _loop(self) -> None:
        while True:
            try:
                await self.publish()
                self._failing = False
            except Exception as failure:
                if not self._failing:  # once per outage, not once per interval
                    note_failure("arq progress publisher", failure)
                self._failing = True
            if not self._live and not self._ended:
                return
            try:
                await asyncio.wait_for(self._wake.wait(), self._interval)
            except TimeoutError:
                pass
            self._wake.clear()

    async def publish(self) -> int:
        """Write the changed runs and remove the ended ones now; return how many changed."""
        pool = self._redis
        if pool is None:
            return 0
        key = runs_key(self._worker)
        scrubber = self._scrubber or runtime.current().scrubber
        changed: dict[str, tuple[Any, ...]] = {}
        writes: dict[str, str] = {}
        for job_id, run in list(self._live.items()):
            meta = publishable(running_job(run), scrubber, worker=self._worker)
            version = change_key(meta)
            if self._published.get(job_id) != version:
                changed[job_id] = version
                writes[job_id] = json.dumps(meta, separators=(",", ":"))
        ended = list(self._ended)
        if not writes and not ended and not self._live:
            return 0
        async with pool.pipeline(transaction=True) as pipe:
            if writes:
                pipe.hset(key, mapping=writes)
            if ended:
                pipe.hdel(key, *ended)
            if self._live:
                expires = self._clock() + self._ttl
                pipe.expire(key, max(1, round(self._ttl)))
                pipe.zadd(WORKERS_KEY, {self._worker: expires})
            await pipe.execute()
        for job_id in ended:
            self._published.pop(job_id, None)
            self._ended.discard(job_id)
        for job_id, version in changed.items():
            self._published[job_id] = version
            if job_id not in self._live:  # it ended while the write was on its way
                self._ended.add(job_id)
        return len(writes) + len(ended)


def _client(source: str | RedisSettings, timeout: float) -> redis.Redis:
    if isinstance(source, str):
        return redis.Redis.from_url(source, socket_timeout=timeout, socket_connect_timeout=timeout)
    if source.sentinel or not isinstance(source.host, str):
        raise ValueError("running_jobs: Redis Sentinel settings are not supported; pass a URL")
    return redis.Redis(
        host=source.host,
        port=source.port,
        unix_socket_path=source.unix_socket_path,
        db=source.database,
        username=source.username,
        password=source.password,
        ssl=source.ssl,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
    )


class ArqRunningJobs:
    """The monitored runs of every arq worker publishing to one Redis, as the running-jobs
    endpoint reads them (a :class:`~signalpost.instrumentation.jobs.running.RunSource`).

    Args:
        redis_source: The Redis the workers use: a ``redis://`` URL or arq's ``RedisSettings``.
        timeout: Seconds to wait for Redis.
        clock: Wall-clock time (for ages).
    """

    def __init__(
        self,
        redis_source: str | RedisSettings,
        *,
        timeout: float = 2.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = _client(redis_source, timeout)
        self._clock = clock

    def _published(self, now: float) -> list[RunningJob]:
        try:
            return self._read(now)
        except redis.RedisError as error:
            raise RunSourceUnavailable(f"arq's Redis: {type(error).__name__}") from error

    def _read(self, now: float) -> list[RunningJob]:
        client = self._redis
        client.zremrangebyscore(WORKERS_KEY, "-inf", now)
        workers = [_decode(w) for w in cast(list[bytes], client.zrange(WORKERS_KEY, 0, -1))]
        with client.pipeline(transaction=False) as pipe:
            for worker in workers:
                pipe.hgetall(runs_key(worker))
            hashes: list[dict[bytes, bytes]] = cast(Any, pipe).execute()
        found: list[tuple[str, str, dict[str, Any]]] = []
        for worker, runs in zip(workers, hashes, strict=True):
            for raw_id, raw_meta in runs.items():
                meta = _meta(raw_meta)
                if meta is not None:
                    found.append((worker, _decode(raw_id), meta))
        if not found:
            return []
        with client.pipeline(transaction=False) as pipe:
            for _, job_id, _ in found:
                pipe.exists(in_progress_key_prefix + job_id)
            running: list[int] = cast(Any, pipe).execute()
        return [
            from_published(job_id, meta, now=now, worker=worker)
            for (worker, job_id, meta), live in zip(found, running, strict=True)
            if live
        ]

    def snapshot(self, job_type: str | None = None) -> list[RunningJob]:
        """The monitored runs in progress on every live worker, oldest first."""
        jobs = [
            job
            for job in self._published(self._clock())
            if job_type is None or job.job_type == job_type
        ]
        jobs.sort(key=lambda job: -job.age)
        return jobs

    def find(self, job_id: str) -> list[RunningJob]:
        """The runs of ``job_id`` in progress (one, unless arq ran it twice)."""
        return [job for job in self._published(self._clock()) if job.job_id == job_id]

    def cancel(self, job_id: str, reason: str | None = None) -> int:
        """Abort the job ``job_id`` through arq if a worker runs it; return 1, else 0.

        The worker running it must have ``allow_abort_jobs``; it cancels the job's task at its
        next poll, and the run ends ``cancelled``.
        """
        if not self.find(job_id):
            return 0
        try:
            self._redis.zadd(abort_jobs_ss, {job_id: int(self._clock() * 1000)})
        except redis.RedisError as error:
            raise RunSourceUnavailable(f"arq's Redis: {type(error).__name__}") from error
        return 1

    def close(self) -> None:
        """Close the Redis connections."""
        cast(Any, self._redis).close()


def _decode(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _meta(raw: bytes) -> dict[str, Any] | None:
    try:
        meta = json.loads(raw)
    except ValueError:
        return None
    return meta if isinstance(meta, dict) and meta.get(MARK) == 1 else None
