"""Backlog readers for the Redis queues of Celery and arq (sources for
:func:`~signalpost.jobs.backlog.watch_backlog`).

* Celery (kombu's Redis transport): a queue is a Redis list, new messages pushed on the left
  and taken from the right, so the oldest is the last; each priority level but 0 has its own
  list (``<queue>\\x06\\x16<priority>``). The length is exact (``LLEN``, as celery-exporter
  reads it); job types and ages come from the ``scan`` oldest messages: their ``task`` header
  and the :data:`~signalpost.jobs.propagation.ENQUEUED_AT_HEADER` that
  :func:`signalpost.celery.instrument` stamps at publish time.
* arq: a queue is a sorted set of job IDs scored by the Unix time in ms at which each is due
  (enqueue, deferral or retry); a job stays in it while it runs (``arq:in-progress:<id>``
  exists). Due jobs not in progress wait; the function name is in the job record.

Messages past the ``scan`` oldest are counted under the job type ``_unscanned``, so the total
stays exact. Both read with one pipeline per queue, at scrape time, with a socket timeout.
Other Celery brokers (RabbitMQ, SQS) are read with your own source: RabbitMQ's management API
gives ``messages_ready`` per queue and the enqueue time is in each message's headers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

import redis

from signalpost.jobs.backlog import UNSCANNED, Backlog, finite_time
from signalpost.jobs.propagation import ENQUEUED_AT_HEADER

__all__ = ["UNSCANNED", "ArqBacklog", "CeleryRedisBacklog"]

_KOMBU_SEP = "\x06\x16"
_KOMBU_PRIORITIES = (0, 3, 6, 9)  # kombu's default priority_steps for Redis


def _client(url: str | redis.Redis, timeout: float) -> redis.Redis:
    if isinstance(url, redis.Redis):
        return url
    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)


class _RedisReader:
    """Owns the Redis client of a reader made from a URL (a given client stays the caller's)."""

    def __init__(self, url: str | redis.Redis, timeout: float) -> None:
        self._owned = not isinstance(url, redis.Redis)
        self._redis = _client(url, timeout)

    def close(self) -> None:
        """Close the connections of a client this reader created."""
        if self._owned:
            cast(Any, self._redis).close()


def _tally(
    found: dict[str, list[Any]], job_type: str, since: float | None
) -> None:
    entry = found.setdefault(job_type, [0, None])
    entry[0] += 1
    if since is not None and (entry[1] is None or since < entry[1]):
        entry[1] = since


def _rows(found: dict[str, list[Any]], queue: str, total: int) -> list[Backlog]:
    rows = [Backlog(t, n, oldest, queue) for t, (n, oldest) in found.items()]
    rest = total - sum(n for n, _ in found.values())
    if rest > 0:
        rows.append(Backlog(UNSCANNED, rest, None, queue))
    return rows


class CeleryRedisBacklog(_RedisReader):
    """What waits in Celery queues on a Redis broker.

    Args:
        broker: The broker's ``redis://`` URL (or a ``redis.Redis`` client).
        queues: The queue names to read (``task_default_queue`` is ``celery``).
        scan: How many of the oldest messages per list are read for their type and age.
        timeout: Socket timeout in seconds.
    """

    def __init__(
        self,
        broker: str | redis.Redis,
        queues: Sequence[str] = ("celery",),
        *,
        scan: int = 1000,
        timeout: float = 2.0,
    ) -> None:
        super().__init__(broker, timeout)
        self._queues = tuple(queues)
        self._scan = scan

    def __call__(self) -> Iterable[Backlog]:
        """Read every queue once; one pipeline per queue."""
        rows: list[Backlog] = []
        for queue in self._queues:
            keys = [queue if p == 0 else f"{queue}{_KOMBU_SEP}{p}" for p in _KOMBU_PRIORITIES]
            pipe = self._redis.pipeline(transaction=False)
            for key in keys:
                pipe.llen(key)
                pipe.lrange(key, -self._scan, -1)
            replies: list[Any] = cast(Any, pipe).execute()
            total = sum(int(n) for n in replies[0::2])
            found: dict[str, list[Any]] = {}
            for messages in replies[1::2]:
                for raw in messages:
                    _tally(found, *self._parse(raw))
            rows += _rows(found, queue, total)
        return rows

    @staticmethod
    def _parse(raw: bytes) -> tuple[str, float | None]:
        """The task name and enqueue time of a message; anything unexpected is unscanned."""
        try:
            message = json.loads(raw)
        except ValueError:
            return UNSCANNED, None
        headers = message.get("headers") if isinstance(message, dict) else None
        if not isinstance(headers, dict):
            return UNSCANNED, None
        task = headers.get("task")
        return task if isinstance(task, str) else UNSCANNED, finite_time(
            headers.get(ENQUEUED_AT_HEADER)
        )


class ArqBacklog(_RedisReader):
    """What waits in an arq queue: due jobs that no worker has taken yet.

    Args:
        redis_url: arq's Redis (``redis://`` URL or a ``redis.Redis`` client).
        queue_name: The sorted set (arq's default ``arq:queue``).
        scan: How many of the oldest due jobs are read for their function name.
        deserializer: arq's job deserializer if the workers use their own (pickle by default).
        timeout: Socket timeout in seconds.
        clock: Wall-clock time (what is due).
    """

    def __init__(
        self,
        redis_url: str | redis.Redis,
        queue_name: str = "arq:queue",
        *,
        scan: int = 1000,
        deserializer: Callable[[bytes], dict[str, Any]] | None = None,
        timeout: float = 2.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(redis_url, timeout)
        self._queue = queue_name
        self._scan = scan
        self._deserializer = deserializer
        self._clock = clock

    def __call__(self) -> Iterable[Backlog]:
        """Read the queue once: the due jobs, their records and in-progress markers."""
        from arq.constants import in_progress_key_prefix, job_key_prefix
        from arq.jobs import deserialize_job

        now_ms = round(self._clock() * 1000)  # arq rounds its scores and its worker's clock
        client: Any = self._redis
        due: list[tuple[bytes, float]] = client.zrangebyscore(
            self._queue, "-inf", now_ms, start=0, num=self._scan, withscores=True
        )
        total = int(client.zcount(self._queue, "-inf", now_ms))
        pipe = self._redis.pipeline(transaction=False)
        for job_id, _ in due:
            ident = job_id.decode() if isinstance(job_id, bytes) else str(job_id)
            pipe.exists(in_progress_key_prefix + ident)
            pipe.get(job_key_prefix + ident)
        replies: list[Any] = cast(Any, pipe).execute()
        found: dict[str, list[Any]] = {}
        running = 0
        for (_, score), in_progress, record in zip(due, replies[0::2], replies[1::2], strict=True):
            if in_progress:
                running += 1
                continue
            name = UNSCANNED
            if record is not None:
                try:
                    name = deserialize_job(record, deserializer=self._deserializer).function
                except Exception:
                    name = UNSCANNED
            _tally(found, name, float(score) / 1000.0)
        return _rows(found, self._queue, total - running)
