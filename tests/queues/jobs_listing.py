"""What the running-jobs tests of every queue check the same way, through the web app's
``/jobs`` served from a queue's workers (``jobs_source=...running_jobs(...)``)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import QUIET_OTEL, REPO, wait_for

__all__ = [
    "AUTH",
    "TOKEN",
    "WEB_CREDENTIALS",
    "JobsClient",
    "check_listed_and_shown",
    "check_totals",
    "release_gate",
]

TOKEN = "jobs-test-token"
# The web apps' credentials: cancel is refused without any (the CLI reads the same variable).
WEB_CREDENTIALS = {"SIGNALPOST_METRICS_BEARER_TOKEN": TOKEN}
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class JobsClient:
    """The running-jobs endpoints of the web app at ``base_url``."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def get(self, path: str = "") -> httpx.Response:
        return httpx.get(f"{self.base_url}/jobs{path}", headers=AUTH, timeout=30)

    def runs(self) -> dict[str, dict[str, Any]]:
        answer = self.get()
        assert answer.status_code == 200, answer.text
        return {run["job_id"]: run for run in answer.json()["runs"]}

    def cancel(self, job_id: str, *, credentials: bool = True) -> httpx.Response:
        headers = AUTH if credentials else {}
        return httpx.post(f"{self.base_url}/jobs/{job_id}/cancel", headers=headers, timeout=30)

    def terminal_view(self) -> str:
        """``python -m signalpost jobs URL --once``: the screen it prints."""
        view = subprocess.run(
            [sys.executable, "-m", "signalpost", "jobs", f"{self.base_url}/jobs", "--once"],
            cwd=REPO,
            env={**os.environ, **QUIET_OTEL, **WEB_CREDENTIALS, "COLUMNS": "200"},
            capture_output=True,
            timeout=60,
        )
        assert view.returncode == 0, view.stderr
        return view.stdout.decode()


@contextmanager
def release_gate(directory: Path) -> Iterator[Path]:
    """A file the test apps' ``slow`` jobs wait for before their last step, created on leaving
    the block (also when a check in it failed, so no held job keeps a worker busy): the checks
    on running jobs never race the jobs' end, however slow the machine."""
    gate = directory / "release-listed-runs"
    gate.unlink(missing_ok=True)
    try:
        yield gate
    finally:
        gate.touch()


def check_listed_and_shown(
    jobs: JobsClient,
    ids: Collection[str],
    *,
    job_type: str,
    workers: Collection[str],
    total: int,
    trace_id: str | None = None,
) -> dict[str, dict[str, Any]]:
    """The runs ``ids`` (of ``job_type``, reporting ``i`` of ``total`` with a password in the
    message) are listed across ``workers`` with their progress, shown by ID and in the
    terminal view, with no secret served; returns the first listing that had them all."""

    def all_listed_with_progress() -> dict[str, dict[str, Any]] | None:
        mine = {i: run for i, run in jobs.runs().items() if i in ids}
        ok = len(mine) == len(ids) and all(run["progress"] for run in mine.values())
        return mine if ok else None

    first: dict[str, dict[str, Any]] = wait_for(
        all_listed_with_progress, "the runs, with progress", timeout=60
    )
    assert {run["worker"] for run in first.values()} == set(workers)  # every worker, named
    for run in first.values():
        assert (run["job_type"], run["state"], run["attempt"]) == (job_type, "running", 1)
        assert run["progress"]["total"] == total
        assert run["progress"]["message"].endswith("password=[Filtered]")
        assert len(run["trace_id"]) == 32 and trace_id in (None, run["trace_id"])
        assert run["age_seconds"] >= 0
    target = sorted(ids)[0]
    before = first[target]["progress"]["done"]

    advanced = wait_for(
        lambda: (run := jobs.runs().get(target)) and run["progress"]["done"] > before and run,
        "progress to advance",
    )
    assert advanced["progress"]["ratio"] == pytest.approx(advanced["progress"]["done"] / total)

    detail = jobs.get(f"/{target}")
    assert detail.status_code == 200
    body = detail.json()
    assert body["run"]["job_id"] == target and body["runs_with_this_id"] == 1
    assert body["run"]["worker"] == first[target]["worker"]
    assert "hunter2" not in detail.text and "hunter2" not in jobs.get().text

    # The terminal view, unchanged, reads the same endpoint.
    screen = jobs.terminal_view()
    assert target[:8] in screen and "WORKER" in screen
    assert all(worker in screen for worker in workers)
    return first


def check_totals(total: Callable[..., float | None], job_type: str, runs: int) -> None:
    """``runs`` runs of ``job_type``, each one attempt that succeeded with one item, counted
    exactly once over every worker: ``total(name, **labels)`` is a sample summed over them."""
    expected = {
        ("signalpost_job_runs_started_total", ()): runs,
        ("signalpost_job_runs_finished_total", (("job_status", "succeeded"),)): runs,
        ("signalpost_job_attempts_total", (("error_class", ""),)): runs,
        ("signalpost_job_items_processed_total", ()): runs,
        ("signalpost_job_run_duration_seconds_count", (("job_status", "succeeded"),)): runs,
        ("signalpost_job_runs_in_progress", ()): 0,
    }
    found = {key: total(key[0], job_type=job_type, **dict(key[1])) for key in expected}
    assert found == expected
