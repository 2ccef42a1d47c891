"""arq runs across workers for the running-jobs endpoint: :class:`ArqRunningJobs`.

arq keeps no record of which worker runs a job, nor of its progress, so the workers publish
their runs to Redis themselves:

* In each worker, a :class:`RunPublisher` (the one queue-progress publisher,
  :mod:`~signalpost.integrations.progress`) task on the worker's event loop writes every
  monitored run in progress into the hash ``signalpost:arq:runs:<worker>`` (field = job ID,
  value = the published form of :mod:`~signalpost.jobs.published`, progress
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

import json
import os
import socket
import time
from collections.abc import Callable
from typing import Any, cast

import redis
from arq.connections import ArqRedis, RedisSettings
from arq.constants import abort_jobs_ss, in_progress_key_prefix

from signalpost.errors.scrub import Scrubber
from signalpost.integrations.progress import Changes, ProgressPublisher
from signalpost.jobs.published import MARK, from_published
from signalpost.jobs.running import RunningJob, RunSourceUnavailable, RunView

__all__ = ["WORKERS_KEY", "ArqRunningJobs", "RunPublisher", "runs_key"]

WORKERS_KEY = "signalpost:arq:workers"
"""Sorted set: every publishing worker, scored with the Unix time its runs hash expires."""


def runs_key(worker: str) -> str:
    """The Redis hash holding the runs ``worker`` is running."""
    return f"signalpost:arq:runs:{worker}"


def worker_name() -> str:
    """This process as the running-jobs list names it: ``<hostname>:<pid>``."""
    return f"{socket.gethostname()}:{os.getpid()}"


class RunPublisher(ProgressPublisher):
    """The :class:`~signalpost.integrations.progress.ProgressPublisher` of one arq worker
    process, writing to the worker's Redis.

    Args:
        interval: Seconds between two publications (a run is listed within this of its
            start; its progress is at most this old).
        ttl: Seconds after which the runs of a worker that stopped publishing (killed)
            are no longer listed; at least ``2 * interval``.
        scrubber: Scrubs progress messages before they leave; the runtime's if ``None``.
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
        super().__init__(
            "arq progress publisher",
            interval=interval,
            scrubber=scrubber,
            worker=worker_name,
            loop_store=self._store,
        )
        self._ttl = max(ttl, 2 * interval)
        self._clock = clock
        self._redis: ArqRedis | None = None

    def begin(self, run: RunView, redis_pool: ArqRedis | None = None) -> None:
        """``run`` started in this worker (``redis_pool``: the worker's ``ctx["redis"]``)."""
        if redis_pool is not None:
            self._redis = redis_pool
        super().begin(run)

    async def _store(self, changes: Changes) -> None:
        pool = self._redis
        if pool is None:
            return
        worker = worker_name()
        key = runs_key(worker)
        async with pool.pipeline(transaction=True) as pipe:
            if changes.writes:
                pipe.hset(
                    key,
                    mapping={
                        job_id: json.dumps(meta, separators=(",", ":"))
                        for job_id, meta in changes.writes.items()
                    },
                )
            if changes.ended:
                pipe.hdel(key, *changes.ended)
            if changes.live:
                pipe.expire(key, max(1, round(self._ttl)))
                pipe.zadd(WORKERS_KEY, {worker: self._clock() + self._ttl})
            await pipe.execute()


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
    endpoint reads them (a :class:`~signalpost.jobs.running.RunSource`).

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
