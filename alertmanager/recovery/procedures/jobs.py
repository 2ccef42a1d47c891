"""``cancel_stuck_jobs``: the runs of the alert's job type that made no progress for too long
are cancelled through the running-jobs endpoint (``POST /jobs/{id}/cancel``, with credentials:
never an open port) and handed back to their queue for a retry.

The endpoint never serves a job's arguments, so handing back goes through the queue: a
:class:`Requeue` reads the task's definition from the broker before the cancel, and enqueues it
again after (:class:`CeleryRequeue`, :class:`ArqRequeue`; both queues keep it durably).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from alertmanager.history.payload import AlertRecord
from alertmanager.recovery.procedure import ProcedureError

__all__ = ["ArqRequeue", "CancelStuckJobs", "CeleryRequeue", "Requeue", "TaskSpec"]


@dataclass(frozen=True)
class TaskSpec:
    """What it takes to enqueue a task again."""

    name: str
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any]
    queue: str | None


class Requeue(Protocol):
    """Reads a running task's definition and enqueues it again."""

    def capture(self, job_id: str, worker: str | None) -> TaskSpec | None:
        """The definition of the running task ``job_id`` (``None``: unknown to the queue);
        ``worker`` is the worker the endpoint says runs it, when it says."""
        ...

    def resubmit(self, spec: TaskSpec) -> str:
        """Enqueue ``spec`` as a new task; return its ID."""
        ...


class CeleryRequeue:
    """:class:`Requeue` for a Celery app (definition from ``inspect().active()``)."""

    def __init__(self, app: Any, *, timeout: float = 2.0) -> None:
        self._app = app
        self._timeout = timeout

    def capture(self, job_id: str, worker: str | None) -> TaskSpec | None:
        """The task as a worker reports it running (asking only ``worker`` when known, which
        answers at once instead of waiting ``timeout`` for every worker)."""
        destination = [worker] if worker else None
        inspect = self._app.control.inspect(destination=destination, timeout=self._timeout)
        active = inspect.active() or {}
        for tasks in active.values():
            for task in tasks:
                if str(task.get("id")) == job_id:
                    info = task.get("delivery_info") or {}
                    return TaskSpec(str(task["name"]), tuple(task.get("args") or ()),
                                    dict(task.get("kwargs") or {}), info.get("routing_key"))
        return None

    def resubmit(self, spec: TaskSpec) -> str:
        """``send_task`` to the same queue."""
        result = self._app.send_task(spec.name, args=list(spec.args), kwargs=dict(spec.kwargs),
                                     queue=spec.queue)
        return str(result.id)


class ArqRequeue:
    """:class:`Requeue` for arq (definition from the job's record in Redis)."""

    def __init__(self, redis_url: str, queue_name: str = "arq:queue") -> None:
        self._url = redis_url
        self._queue = queue_name

    def capture(self, job_id: str, worker: str | None) -> TaskSpec | None:
        """The job's function and arguments as arq stored them."""
        return asyncio.run(self._capture(job_id))

    def resubmit(self, spec: TaskSpec) -> str:
        """``enqueue_job`` on the same queue."""
        return asyncio.run(self._resubmit(spec))

    async def _capture(self, job_id: str) -> TaskSpec | None:
        from arq.jobs import Job

        pool = await self._pool()
        try:
            info = await Job(job_id, pool, _queue_name=self._queue).info()
        finally:
            await pool.aclose()
        if info is None:
            return None
        return TaskSpec(info.function, tuple(info.args), dict(info.kwargs), self._queue)

    async def _resubmit(self, spec: TaskSpec) -> str:
        pool = await self._pool()
        try:
            job = await pool.enqueue_job(spec.name, *spec.args, _queue_name=self._queue,
                                         **spec.kwargs)
        finally:
            await pool.aclose()
        if job is None:
            raise ProcedureError(f"arq did not enqueue {spec.name}")
        return str(job.job_id)

    async def _pool(self) -> Any:
        from arq.connections import RedisSettings, create_pool

        return await create_pool(RedisSettings.from_dsn(self._url))


class CancelStuckJobs:
    """Cancel the stuck runs of the alert's ``job_type`` and hand them back to their queue.

    Args:
        jobs_urls: The ``/jobs`` URL of each service (the alert's ``service`` label).
        token: The bearer token of those endpoints (``SIGNALPOST_METRICS_BEARER_TOKEN``).
        requeue: Hands a cancelled task back to its queue.
        stuck_after: Seconds without progress that make a run stuck (the alert's threshold).
        max_runs: At most this many runs per action.
        timeout: Seconds per request to the endpoint.
    """

    def __init__(
        self, jobs_urls: Mapping[str, str], token: str, requeue: Requeue, *,
        stuck_after: float, max_runs: int = 5, timeout: float = 10.0,
    ) -> None:
        self._urls = dict(jobs_urls)
        self._auth = {"Authorization": f"Bearer {token}"}
        self._requeue = requeue
        self._stuck_after = stuck_after
        self._max_runs = max_runs
        self._timeout = timeout

    def check(self, alert: AlertRecord) -> str | None:
        """A stuck run of the job type is listed by the service's endpoint."""
        if alert.service not in self._urls:
            return f"no jobs endpoint configured for service {alert.service!r}"
        return None if self._stuck(alert) else "no stuck run of that job type is listed"

    def act(self, alert: AlertRecord) -> str:
        """Capture, cancel and resubmit each stuck run; return what was done."""
        done = []
        for run in self._stuck(alert)[: self._max_runs]:
            job_id = str(run["job_id"])
            spec = self._requeue.capture(job_id, run.get("worker"))
            if spec is None:  # never cancel what cannot be handed back
                done.append(f"{job_id}: not found in its queue, left running")
                continue
            answer = httpx.post(f"{self._urls[alert.service or '']}/{job_id}/cancel",
                                headers=self._auth, timeout=self._timeout)
            if answer.status_code != 202:
                raise ProcedureError(f"cancel of {job_id} answered {answer.status_code}")
            new_id = self._requeue.resubmit(spec)
            done.append(f"cancelled {job_id} ({run['seconds_since_progress']:.0f} s without "
                        f"progress), re-enqueued as {new_id}")
        if not done:
            raise ProcedureError("no stuck run left to cancel")
        return "; ".join(done)

    def verify(self, alert: AlertRecord) -> bool | None:
        """Alertmanager decides: the alert resolves when no run is stuck."""
        return None

    def _stuck(self, alert: AlertRecord) -> list[dict[str, Any]]:
        url = self._urls[alert.service or ""]
        answer = httpx.get(url, params={"type": alert.labels.get("job_type", "")},
                           headers=self._auth, timeout=self._timeout)
        if answer.status_code != 200:
            raise ProcedureError(f"{url} answered {answer.status_code}")
        return [
            run for run in answer.json()["runs"]
            if run["seconds_since_progress"] >= self._stuck_after and not run["cancel_requested"]
        ]
