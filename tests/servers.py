"""Real server processes for the tests: started on a free port, stopped at the end.

:func:`serve` runs a command (uvicorn serving an app, or a worker script) in its own session,
waits until a URL answers, and terminates the whole session afterwards.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

__all__ = [
    "QUIET_OTEL",
    "REPO",
    "Server",
    "free_port",
    "serve",
    "uvicorn_command",
    "wait_answering",
    "wait_for",
]

REPO = Path(__file__).resolve().parents[1]
# Spans are made and sampled (so exemplars exist) but nothing is exported anywhere.
QUIET_OTEL = {
    "OTEL_TRACES_EXPORTER": "none",
    "OTEL_LOGS_EXPORTER": "none",
    "OTEL_METRICS_EXPORTER": "none",
}
READY_TIMEOUT = 60.0  # generous: two cores shared by several workers


@dataclass
class Server:
    """A running server process."""

    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def log_text(self) -> str:
        """Everything the process wrote to stdout and stderr so far."""
        return self.log.read_text(errors="replace")

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, wait (SIGKILL the session after ``timeout``) and return the exit code."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        return self.process.returncode


def wait_answering(
    process: subprocess.Popen[bytes],
    url: str,
    log: Callable[[], str],
    *,
    what: str = "server",
    timeout: float = READY_TIMEOUT,
) -> None:
    """Wait until ``url`` answers below 500; raise ``RuntimeError`` with ``log()`` if
    ``process`` exits first or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{log()}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not ready in {timeout:.0f} s:\n{log()}")
        time.sleep(0.05)


def wait_for(
    check: Callable[[], Any], what: str = "condition", *, timeout: float = 30.0, every: float = 0.1
) -> Any:
    """Poll ``check`` every ``every`` seconds until it returns something truthy, and return
    that; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def uvicorn_command(app: str, port: int) -> list[str]:
    """The command serving ``module:attribute`` with uvicorn on 127.0.0.1:``port``."""
    return [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]


@contextmanager
def serve(
    command: Sequence[str],
    base_url: str,
    log: Path,
    *,
    ready_path: str = "/metrics",
    env: Mapping[str, str] | None = None,
) -> Iterator[Server]:
    """Start ``command`` from the repository root; yield once ``base_url + ready_path`` answers."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **QUIET_OTEL, **(env or {})}
    with log.open("wb") as out:
        process = subprocess.Popen(
            list(command), cwd=REPO, env=full_env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    server = Server(process, base_url, log)
    try:
        wait_answering(process, base_url + ready_path, server.log_text)
        yield server
    finally:
        server.stop()
