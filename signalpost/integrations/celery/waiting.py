"""Celery jobs waiting: the enqueue time in the message headers, and the Redis backlog.

``before_task_publish`` stamps :data:`~signalpost.jobs.propagation.\
ENQUEUED_AT_HEADER` (:func:`stamp_enqueued`, connected by
:func:`signalpost.celery.instrument`); the worker's runs read it back (:func:`enqueued_at`)
and record their wait; :func:`backlog` reads what waits from a Redis broker.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from datetime import datetime
from typing import Any

from celery import Celery

from signalpost.jobs.backlog import finite_time
from signalpost.jobs.backlog_redis import CeleryRedisBacklog
from signalpost.jobs.propagation import ENQUEUED_AT_HEADER

__all__ = ["backlog", "enqueued_at", "queue_of", "stamp_enqueued"]


def backlog(
    app: Celery, queues: Collection[str] | None = None, *, scan: int = 1000
) -> CeleryRedisBacklog:
    """What waits in ``app``'s queues on its Redis broker, for
    :func:`~signalpost.jobs.backlog.watch_backlog`::

        watch_backlog(signalpost.celery.backlog(app, ["default", "mail"]))

    Args:
        app: The Celery app (its ``broker_url`` must be ``redis://`` or ``rediss://``).
        queues: Queue names; the app's ``task_default_queue`` by default.
        scan: How many of the oldest messages per queue are read for their type and age.
    """
    url = str(app.conf.broker_url or "")
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError(
            f"signalpost.celery.backlog reads Redis brokers; {url.split(':')[0]!r} needs a "
            "source of your own (see docs/celery.md)"
        )
    names = list(queues) if queues else [str(app.conf.task_default_queue)]
    return CeleryRedisBacklog(url, names, scan=scan)


def enqueued_at(request: Any) -> float | None:
    """The Unix time since which the message waits, from its :data:`ENQUEUED_AT_HEADER`."""
    value = getattr(request, ENQUEUED_AT_HEADER, None)
    if value is None:
        value = (getattr(request, "headers", None) or {}).get(ENQUEUED_AT_HEADER)
    return finite_time(value)


def queue_of(request: Any) -> str:
    """The queue the message came from (its routing key with the default direct exchanges)."""
    info = getattr(request, "delivery_info", None) or {}
    queue = info.get("routing_key") or info.get("exchange") or ""
    return queue if isinstance(queue, str) else ""


def stamp_enqueued(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """``before_task_publish``: the time since which the message will wait, in its headers:
    now, or its ETA (a countdown, a retry's back-off) when it has one. A retry is re-stamped."""
    if headers is None:
        return
    due = time.time()
    eta = headers.get("eta")
    if isinstance(eta, str):
        try:
            due = datetime.fromisoformat(eta).timestamp()
        except ValueError:
            pass
    headers[ENQUEUED_AT_HEADER] = due
