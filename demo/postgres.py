"""A PostgreSQL cluster run by hand: ``initdb`` in a folder, ``pg_ctl`` to start and stop.

The local stack keeps its cluster in a folder that survives restarts; the tests make throwaway
ones (``tests/postgres.py``). The binaries come from Debian's ``postgresql`` package, which
``scripts/bootstrap.sh`` installs when ``initdb`` is missing. initdb and postgres refuse to run
as root, so as root every command runs as the ``postgres`` system user. The server listens on
127.0.0.1 only, with a Unix socket in the cluster's folder and trust authentication.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

__all__ = ["PostgresServer"]

_SUPERUSER = "postgres"


def _bin_dir() -> Path:
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not candidates:
        raise RuntimeError(
            "PostgreSQL server binaries (initdb) not found: run scripts/bootstrap.sh"
        )
    return Path(candidates[-1]).parent


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PostgresServer:
    """One PostgreSQL cluster in a temporary directory, controlled through ``pg_ctl``."""

    def __init__(self, root: Path | None = None, port: int | None = None) -> None:
        """Create a cluster in ``root`` (kept across runs) or in a new temporary directory.

        An existing cluster in ``root`` is reused as it is.
        """
        self.bin_dir = _bin_dir()
        self.port = port or _free_port()
        if root is None:
            root = Path(tempfile.mkdtemp(prefix="signalpost-pg-"))
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.data_dir = self.root / "data"
        self.log_file = self.root / "server.log"
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            account = pwd.getpwnam(_SUPERUSER)
            os.chown(self.root, account.pw_uid, account.pw_gid)
            self._as_user = ["runuser", "-u", _SUPERUSER, "--"]
        if (self.data_dir / "PG_VERSION").exists():
            return
        self._run(
            "initdb", "-D", str(self.data_dir), "-U", _SUPERUSER, "-A", "trust",
            "-E", "UTF8", "--no-locale", "--no-sync",
        )

    @property
    def conninfo(self) -> str:
        """libpq connection string for the superuser over TCP on loopback."""
        return f"host=127.0.0.1 port={self.port} user={_SUPERUSER} dbname=postgres"

    def _run(self, program: str, *args: str) -> None:
        command = [*self._as_user, str(self.bin_dir / program), *args]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            log = self.log_file.read_text() if self.log_file.exists() else ""
            raise RuntimeError(
                f"{program} failed ({done.returncode}): {done.stdout}{done.stderr}\n{log}"
            )

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = " ".join(
            [
                f"-p {self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.root}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=50",
                "-c shared_buffers=16MB",
            ]
        )
        self._run(
            "pg_ctl", "start", "-w", "-t", "30", "-D", str(self.data_dir),
            "-l", str(self.log_file), "-o", options,
        )

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server: at once by default (as a crash or an outage would), or ``fast``."""
        self._run("pg_ctl", "stop", "-w", "-m", mode, "-D", str(self.data_dir))

    def is_running(self) -> bool:
        """Whether ``pg_ctl status`` finds the server running."""
        command = [*self._as_user, str(self.bin_dir / "pg_ctl"), "status", "-D", str(self.data_dir)]
        return subprocess.run(command, capture_output=True, check=False).returncode == 0

    def destroy(self) -> None:
        """Stop the server if it runs and delete the cluster."""
        try:
            if self.is_running():
                self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
