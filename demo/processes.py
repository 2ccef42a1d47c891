"""Starting, watching and stopping the local stack's processes."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "Launcher",
    "PortInUse",
    "Process",
    "ProcessGroup",
    "binary_path",
    "port_in_use",
    "wait_http",
    "wait_tcp",
]


class PortInUse(RuntimeError):
    """A port the stack needs is taken; the message names the component and the port."""


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """Return whether something already listens on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
        return False


def wait_http(url: str, timeout: float, process: subprocess.Popen[bytes] | None = None) -> None:
    """Wait until ``url`` answers 2xx; raise ``TimeoutError`` (or when ``process`` exits)."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"exited with status {process.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if 200 <= response.status < 300:
                    return
                last = f"HTTP {response.status}"
        except urllib.error.HTTPError as error:
            last = f"HTTP {error.code}"
        except OSError as error:
            last = str(error)
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s ({last})")


@dataclass
class Process:
    """One long-running program of the stack."""

    name: str
    argv: Sequence[str]
    log: Path
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start it in its own process group, output appended to its log file."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                list(self.argv),
                cwd=self.cwd,
                env={**os.environ, **self.env},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def stop(self, grace: float) -> None:
        """SIGTERM, then SIGKILL after ``grace`` seconds."""
        if self.popen is None or self.popen.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=5)


@dataclass
class ProcessGroup:
    """Processes started in order and stopped in reverse order."""

    processes: list[Process] = field(default_factory=list)

    def start(self, process: Process) -> Process:
        """Start ``process`` and remember it for :meth:`stop_all`."""
        process.start()
        self.processes.append(process)
        return process

    def exited(self) -> Process | None:
        """Return a process that has exited on its own, if any."""
        for process in self.processes:
            if process.popen is not None and process.popen.poll() is not None:
                return process
        return None

    def stop_all(self, grace: float = 8.0) -> None:
        """Stop every process, the last started first."""
        for process in reversed(self.processes):
            process.stop(grace)
        self.processes.clear()


@dataclass
class Launcher:
    """Starts programs into ``group``, each logging to ``logs/<name>.log``, run in ``cwd``."""

    group: ProcessGroup
    logs: Path
    cwd: Path

    def python(self, name: str, *args: str, env: Mapping[str, str] | None = None) -> Process:
        """``python *args`` with this interpreter, its output unbuffered."""
        argv = [sys.executable, *args]
        return self.binary(name, *argv, env={"PYTHONUNBUFFERED": "1", **(env or {})})

    def binary(self, name: str, *argv: str, env: Mapping[str, str] | None = None) -> Process:
        """Start ``argv`` (its environment: this one with ``env`` on top)."""
        process = Process(name, list(argv), self.logs / f"{name}.log", env=env or {}, cwd=self.cwd)
        return self.group.start(process)


def binary_path(*names: str) -> str:
    """The first of ``names`` found on ``PATH``; exits with an install hint otherwise."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit(
        f"demo: {names[0]} is not installed: run `bash scripts/bootstrap.sh` (Debian packages "
        "prometheus and prometheus-alertmanager), or put the binaries on PATH"
    )


def wait_tcp(port: int, timeout: float, process: Process) -> None:
    """Wait until 127.0.0.1:``port`` accepts connections; raise if ``process`` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.popen is not None and process.popen.poll() is not None:
            raise RuntimeError(f"{process.name} exited; see {process.log}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.1)
    raise TimeoutError(f"{process.name} did not listen on port {port}")
