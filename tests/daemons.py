"""A server process that a test can kill and start again on the same ports and data folder.

:func:`tests.servers.serve` runs a server for the span of a ``with``; the HA tests need to
crash one member of a pair (SIGKILL, no clean shut-down) and bring it back as it was.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path

from tests.servers import wait_answering

__all__ = ["Daemon"]


class Daemon:
    """One long-running binary: ``argv``, ready once ``ready_url`` answers below 500."""

    def __init__(self, name: str, argv: Sequence[str], ready_url: str, log: Path) -> None:
        self.name = name
        self.argv = list(argv)
        self.ready_url = ready_url
        self.log_file = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        """Whether the process was started and has not exited."""
        return self.process is not None and self.process.poll() is None

    def launch(self) -> None:
        """Start the process (appending to its log) without waiting for it."""
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def wait_ready(self) -> None:
        """Wait until :attr:`ready_url` answers; fail with the log if the process exits."""
        assert self.process is not None, f"{self.name} was never started"
        wait_answering(self.process, self.ready_url, self.log, what=self.name)

    def start(self) -> None:
        """:meth:`launch` and :meth:`wait_ready`."""
        self.launch()
        self.wait_ready()

    def kill(self) -> None:
        """SIGKILL: a crash, nothing flushed or handed over."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM and wait (SIGKILL after 20 s)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        """Everything the process wrote so far, over all its starts."""
        return self.log_file.read_text(encoding="utf-8", errors="replace")
