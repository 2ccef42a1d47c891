"""Real gunicorn, two uvicorn workers: /metrics reports exact totals over both workers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

REPO = Path(__file__).resolve().parents[2]
DEADLINE = 20.0  # seconds for the whole scenario; it normally takes two or three
BATCH = 40
MAX_REQUESTS = 2000


@dataclass
class Gunicorn:
    process: subprocess.Popen[bytes]
    base_url: str
    multiproc_dir: Path
    log: Path

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_ready(server: Gunicorn, deadline: float) -> None:
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"gunicorn exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            if httpx.get(f"{server.base_url}/metrics", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    pytest.fail(f"gunicorn not ready in time:\n{server.log_tail()}")


@pytest.fixture
def gunicorn(tmp_path: Path) -> Iterator[Gunicorn]:
    multiproc_dir = tmp_path / "multiproc"
    multiproc_dir.mkdir()
    log = tmp_path / "gunicorn.log"
    port = free_port()
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(multiproc_dir),
        "PYTHONPATH": str(REPO),
        "OTEL_SDK_DISABLED": "true",
    }
    command = [
        sys.executable, "-m", "gunicorn",
        "-c", "python:signalpost.sdk.gunicorn_config",
        "-k", "uvicorn_worker.UvicornWorker",
        "-w", "2",
        "-b", f"127.0.0.1:{port}",
        "--graceful-timeout", "5",
        "--no-control-socket",  # gunicorn would otherwise put one in $HOME
        "tests.serving.multiprocess_app:create_app()",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    server = Gunicorn(process, f"http://127.0.0.1:{port}", multiproc_dir, log)
    try:
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                # The whole session: the master and any worker it left behind.
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)


def new_client() -> httpx.Client:
    # "Connection: close": a fresh connection per request, so each may land on either worker.
    return httpx.Client(headers={"Connection": "close"}, timeout=5)


def scraped_total(client: httpx.Client, base_url: str) -> float:
    response = client.get(f"{base_url}/metrics")
    response.raise_for_status()
    return sum(
        sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
        if sample.name == "http_server_request_duration_seconds_count"
        and sample.labels.get("http_route") == "/work"
        and sample.labels.get("http_request_method") == "GET"
        and sample.labels.get("http_response_status_code") == "200"
    )


@pytest.mark.slow
def test_two_workers_report_exact_totals(gunicorn: Gunicorn) -> None:
    deadline = time.monotonic() + DEADLINE
    wait_until_ready(gunicorn, deadline)
    url = f"{gunicorn.base_url}/work"
    live_gauge_files = lambda: list(gunicorn.multiproc_dir.glob("gauge_livesum_*.db"))  # noqa: E731

    with new_client() as client, ThreadPoolExecutor(max_workers=8) as pool:

        def request_work(_: int) -> int:
            response = client.get(url)
            response.raise_for_status()
            return int(response.json()["pid"])

        pids: list[int] = []
        while len(set(pids)) < 2 or len(pids) < 4 * BATCH:
            assert time.monotonic() < deadline, f"only {set(pids)} served:\n{gunicorn.log_tail()}"
            assert len(pids) < MAX_REQUESTS, f"one worker took all {len(pids)} requests"
            pids.extend(pool.map(request_work, range(BATCH)))
        served = len(pids)
        per_worker = {pid: pids.count(pid) for pid in set(pids)}
        assert len(per_worker) == 2, per_worker

        # Whichever worker answers the scrape, it reports both workers' requests, exactly.
        for _ in range(6):
            assert scraped_total(client, gunicorn.base_url) == served, per_worker

        # A worker that leaves (gunicorn's TTOU drops one) takes its live gauges along through
        # child_exit, while its requests stay counted.
        assert len(live_gauge_files()) == 2
        gunicorn.process.send_signal(signal.SIGTTOU)
        while len(live_gauge_files()) != 1:
            assert time.monotonic() < deadline, f"child_exit did not run:\n{gunicorn.log_tail()}"
            time.sleep(0.05)
        assert scraped_total(client, gunicorn.base_url) == served
