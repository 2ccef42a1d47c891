"""A real uvicorn server running ``live_app`` (real monitored jobs), and helpers to drive it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx

from tests.servers import Server, free_port, serve, uvicorn_command

TOKEN = "live-jobs-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
T = TypeVar("T")


@contextmanager
def live_server(log: Path) -> Iterator[Server]:
    """uvicorn serving ``live_app``, the jobs endpoints behind bearer ``TOKEN``."""
    port = free_port()
    with serve(
        uvicorn_command("tests.jobs.live_app:app", port),
        f"http://127.0.0.1:{port}",
        log,
        ready_path="/jobs",
        env={"SIGNALPOST_METRICS_BEARER_TOKEN": TOKEN, "SIGNALPOST_LOGGING_JSON": "false"},
    ) as server:
        yield server


def wait_for(probe: Callable[[], T | None], timeout: float = 30.0) -> T:
    """Poll ``probe`` until it returns something other than ``None``/``False``."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None and value is not False:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def new_id(prefix: str = "job") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def start(server: Server, job_id: str, **params: Any) -> None:
    response = httpx.post(f"{server.base_url}/start", params={"job_id": job_id, **params})
    assert response.status_code == 202, response.text


def release(server: Server, job_id: str) -> str:
    """Let the job finish; return the state it ended in."""
    response = httpx.post(f"{server.base_url}/release", params={"job_id": job_id}, timeout=30)
    assert response.status_code == 200, response.text
    state: str = response.json()["state"]
    return state


def runs_by_id(server: Server, **params: Any) -> dict[str, dict[str, Any]]:
    response = httpx.get(f"{server.base_url}/jobs", params=params, headers=AUTH)
    assert response.status_code == 200, response.text
    return {run["job_id"]: run for run in response.json()["runs"]}


def progressing(server: Server, *job_ids: str) -> dict[str, dict[str, Any]] | None:
    """The listed runs once every one of them has reported progress, else ``None``."""
    runs = runs_by_id(server, limit=1000)
    if all(j in runs and runs[j]["progress"] is not None for j in job_ids):
        return runs
    return None
