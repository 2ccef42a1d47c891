"""``python -m demo.runbooks``: the runbooks the demo's alerts link to, readable in a browser."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

from prometheus.catalog import AFTERMATH, Alert
from tests.servers import free_port, serve

pytestmark = pytest.mark.slow


def test_every_runbook_is_served_as_text(tmp_path: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "demo.runbooks", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    with serve(command, url, tmp_path / "runbooks.log", ready_path="/ServiceDown.md"):
        for alert in set(Alert) - set(AFTERMATH.values()):  # a section of their cause's
            response = httpx.get(f"{url}/{alert}.md")
            assert response.status_code == 200, alert
            assert response.headers["content-type"] == "text/plain; charset=utf-8"
            assert response.text.startswith(f"# {alert}\n")
        assert httpx.get(f"{url}/NoSuchAlert.md").status_code == 404
