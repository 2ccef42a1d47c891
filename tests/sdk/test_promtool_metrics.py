"""``promtool check metrics`` finds nothing to report on what a scrape of Signalpost returns.

Real uvicorn serving the example app, and a real worker process (``setup()`` without an app,
metrics on their own port); the exposition is piped to the ``promtool`` that
``scripts/bootstrap.sh`` installs. promtool 2.42 reads only the Prometheus text format (an
OpenMetrics exemplar is a parse error there, and ``_total`` families look untyped to it), so the
OpenMetrics rendering is checked with prometheus-client's strict OpenMetrics parser instead.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import httpx
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from tests.servers import free_port, serve, uvicorn_command

OPENMETRICS = "application/openmetrics-text; version=1.0.0"


def promtool_problems(exposition: str) -> str:
    """What ``promtool check metrics`` reports (empty when it is satisfied)."""
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: run scripts/bootstrap.sh"
    done = subprocess.run(
        [promtool, "check", "metrics"],
        input=exposition.encode(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    problems = (done.stdout + done.stderr).decode(errors="replace").strip()
    assert (done.returncode == 0) == (problems == ""), (done.returncode, problems)
    return problems


def check_openmetrics(text: str) -> set[str]:
    """Parse strictly; return the family names."""
    assert text.endswith("# EOF\n")
    return {family.name for family in text_string_to_metric_families(text)}


def test_example_app_metrics_pass_promtool(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with serve(uvicorn_command("examples.app:app", port), base, tmp_path / "app.log") as server:
        # A fresh connection per request: uvicorn closes the one an unhandled error ran on.
        with httpx.Client(base_url=base, timeout=10, headers={"Connection": "close"}) as client:
            assert client.get("/candidates/1").status_code == 200
            assert client.get("/candidates/2000").status_code == 404
            assert client.get("/candidates/oops").status_code == 422
            assert client.get("/boom").status_code == 500
            assert client.get("/nowhere").status_code == 404
            text = client.get("/metrics").text
            openmetrics = client.get("/metrics", headers={"Accept": OPENMETRICS}).text
        # The scrape covers every domain the example touches, so the lint is not vacuous.
        for name in (
            "http_server_request_duration_seconds_bucket",
            "signalpost_errors_total",
            "signalpost_health_check_status",
            "system_memory_utilization_ratio",
            "process_open_fds",
        ):
            assert f"\n{name}" in text, (name, server.log_text()[-2000:])
        assert promtool_problems(text) == ""
        # The health check judges process resources without exporting them a second time.
        assert "process_open_file_descriptor_count" not in text
        assert "process_memory_usage_bytes" not in text
        families = check_openmetrics(openmetrics)
        assert "http_server_request_duration_seconds" in families
        assert 'trace_id="' in openmetrics  # exemplars parse too


def test_worker_metrics_pass_promtool(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "tests.sdk.worker_app", str(port)]
    with serve(command, base, tmp_path / "worker.log") as server:
        # A fresh connection per request: uvicorn closes the one an unhandled error ran on.
        with httpx.Client(base_url=base, timeout=10, headers={"Connection": "close"}) as client:
            text = client.get("/metrics").text
            openmetrics = client.get("/metrics", headers={"Accept": OPENMETRICS}).text
        assert "signalpost_job" in text, server.log_text()[-2000:]
        assert "signalpost_health_status" in text
        assert promtool_problems(text) == ""
        assert "signalpost_job_runs" in " ".join(check_openmetrics(openmetrics))
