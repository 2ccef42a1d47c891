"""Real Celery worker processes for the queue tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from celery import Celery

ROOT = Path(__file__).resolve().parents[2]

__all__ = ["Worker", "kill_group", "stop_gracefully"]


class Worker:
    """``celery worker`` (prefork, 2 children) in its own session, its output in a file."""

    def __init__(
        self, name: str, queues: str, env: Mapping[str, str], directory: Path
    ) -> None:
        self.name = name
        self.hostname = f"{name}@signalpost-tests"
        self.log = directory / f"{name}.log"
        self._out = self.log.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "tests.queues.celery_app", "worker",
                "-P", "prefork", "-c", "2", "-n", self.hostname, "-Q", queues,
                "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO",
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, app: Celery, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker {self.name} exited: {self.log.read_text()[-3000:]}")
            replies = app.control.ping(destination=[self.hostname], timeout=1.0)
            if replies:
                return
        raise RuntimeError(f"worker {self.name} not ready: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL the worker and its pool children: a machine that died."""
        kill_group(self.process)

    def stop(self) -> None:
        stop_gracefully(self.process, signal.SIGTERM)  # Celery's warm shutdown
        self._out.close()


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL ``process`` and the rest of its session (it was started in a new one)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def stop_gracefully(process: subprocess.Popen[bytes], how: signal.Signals) -> None:
    """Send ``how``; SIGKILL the session if it has not exited 20 s later."""
    if process.poll() is None:
        process.send_signal(how)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            kill_group(process)
