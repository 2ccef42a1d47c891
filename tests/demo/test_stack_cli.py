"""``python -m demo.stack`` reports a taken port by the name of the part that needs it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_taken_port_is_named_in_one_line_without_a_traceback(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "DEMO_PORT_ALERTMANAGER": str(port)}
        done = subprocess.run(
            [sys.executable, "-m", "demo.stack", "--data", str(tmp_path)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
        )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"demo: Alertmanager needs port {port}, which is in use: stop what listens there or "
        "choose another port (DEMO_PORT_* variables, see python -m demo.stack -h)"
    )
    assert "Traceback" not in done.stdout + done.stderr
    assert not (tmp_path / "postgres").exists()  # nothing was started
