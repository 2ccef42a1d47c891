"""A service running real monitored jobs, served by uvicorn in the running-jobs endpoint tests.

``POST /start?job_id=...`` starts a job that reports progress until ``POST /release?job_id=...``
(``sync=true``: in a thread; ``fail_first=N``: its first N attempts fail transiently and are
retried); ``GET /outcome?job_id=...`` gives the state it ended in. ``setup(app)`` serves the
running-jobs endpoints at ``/jobs`` (auth from ``SIGNALPOST_METRICS_*``).
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from fastapi import FastAPI, HTTPException

from signalpost.errors.classify import TransientError
from signalpost.jobs import JobRun, RetryPolicy, monitored_job
from signalpost.sdk import setup

app = FastAPI()
_release: dict[str, threading.Event] = {}
_outcomes: dict[str, str] = {}
_tasks: set[asyncio.Task[Any]] = set()
STEP_SECONDS = 0.05


def _policy(fail_first: int) -> RetryPolicy:
    return RetryPolicy(max_attempts=fail_first + 1, base_delay=0.02, max_delay=0.05)


def _work(run: JobRun, fail_first: int, total: int, stop: threading.Event) -> None:
    """One attempt's body for sync jobs; progress() is where cancellation arrives."""
    if run.attempt <= fail_first:
        raise TransientError(f"attempt {run.attempt} failed")
    done = 0
    while not stop.is_set():
        done = min(total, done + 1)
        run.progress(done, total, f"row {done} password=hunter2")
        time.sleep(STEP_SECONDS)


async def _async_job(job_type: str, job_id: str, total: int, fail_first: int) -> None:
    stop = _release[job_id]
    run: JobRun | None = None
    try:
        async with monitored_job(job_type, job_id=job_id, retry=_policy(fail_first)) as run:
            async for attempt in run.attempts():
                async with attempt:
                    if run.attempt <= fail_first:
                        raise TransientError(f"attempt {run.attempt} failed")
                    done = 0
                    while not stop.is_set():
                        done = min(total, done + 1)
                        run.progress(done, total, f"row {done} password=hunter2")
                        await asyncio.sleep(STEP_SECONDS)
    except BaseException:
        pass
    finally:
        if run is not None:
            _outcomes[job_id] = str(run.state)


def _sync_job(job_type: str, job_id: str, total: int, fail_first: int) -> None:
    stop = _release[job_id]
    run: JobRun | None = None
    try:
        with monitored_job(job_type, job_id=job_id, retry=_policy(fail_first)) as run:
            for attempt in run.attempts():
                with attempt:
                    _work(run, fail_first, total, stop)
    except BaseException:
        pass
    finally:
        if run is not None:
            _outcomes[job_id] = str(run.state)


@app.post("/start", status_code=202)
async def start(
    job_id: str, job_type: str = "import", total: int = 1000, fail_first: int = 0, sync: bool = False
) -> dict[str, str]:
    """Start a job that runs until released or cancelled."""
    # Blocking a moment on purpose: under gunicorn a busy worker leaves the next connection
    # to the other one, so both get jobs.
    time.sleep(0.002)
    _release[job_id] = threading.Event()
    if sync:
        coro: Any = asyncio.to_thread(_sync_job, job_type, job_id, total, fail_first)
    else:
        coro = _async_job(job_type, job_id, total, fail_first)
    task = asyncio.create_task(coro)
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)
    return {"job_id": job_id}


@app.post("/release")
async def release(job_id: str) -> dict[str, str]:
    """Let a job finish (successfully) and wait until it has."""
    event = _release.get(job_id)
    if event is None:
        raise HTTPException(404)
    event.set()
    for _ in range(400):
        if job_id in _outcomes:
            return {"state": _outcomes[job_id]}
        await asyncio.sleep(0.025)
    raise HTTPException(504, "job did not finish")


@app.get("/outcome")
async def outcome(job_id: str) -> dict[str, str]:
    """The state a job ended in."""
    if job_id not in _outcomes:
        raise HTTPException(404)
    return {"state": _outcomes[job_id]}


telemetry = setup(app)
