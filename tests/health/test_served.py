"""Health as a probe sees it, through real uvicorn: an app whose lifespan opens its pool (real
PostgreSQL), and a job worker whose checks are served on its metrics port."""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests import postgres
from tests.servers import Server, free_port, serve, uvicorn_command

WAIT = 60.0  # generous: two cores shared by several workers


def log_lines(server: Server, logger: str) -> list[dict[str, object]]:
    lines = []
    for line in server.log_text().splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            if record.get("attributes", {}).get("logger.name") == logger:
                lines.append(record)
    return lines


def test_checks_start_after_the_apps_own_startup(
    tmp_path: Path, pg: postgres.PostgresServer
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = uvicorn_command("tests.health.pool_app:app", port)
    env = {"POOL_APP_CONNINFO": pg.conninfo}
    with serve(command, base, tmp_path / "app.log", ready_path="/health/live", env=env) as app:
        # The first request after start-up: the pool the lifespan opened was checked.
        ready = httpx.get(f"{base}/health/ready", timeout=10)
        assert ready.status_code == 200, (ready.text, app.log_text()[-3000:])
        # /health answers itself, no redirect to /health/.
        report = httpx.get(f"{base}/health", timeout=10, follow_redirects=False)
        assert report.status_code == 200, report.headers
        assert report.json()["components"]["postgres"]["status"] == "healthy"
        assert httpx.get(f"{base}/health/", timeout=10).json()["status"] == "healthy"
        # uvicorn shuts down gracefully, then re-raises the SIGTERM it caught.
        assert app.stop() in (0, -signal.SIGTERM)
    # Nothing failed: neither at start-up nor while the app's shut-down closed the pool.
    assert log_lines(app, "signalpost.health") == [], app.log_text()[-3000:]
    assert "PoolClosed" not in app.log_text()


def scrape(base: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(f"{base}/metrics", timeout=10).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_worker_runs_checks_and_serves_health_on_the_metrics_port(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "tests.sdk.worker_app", str(port)]
    env = {"WORKER_FAIL_CHECK": "1"}
    with serve(command, base, tmp_path / "worker.log", env=env) as worker:
        queue_runs = ("signalpost_health_check_duration_seconds_count", (
            ("health_check_kind", "critical"), ("health_check_name", "queue"),
        ))  # fmt: skip
        deadline = time.monotonic() + WAIT
        while scrape(base).get(queue_runs, 0) < 3:
            assert time.monotonic() < deadline, worker.log_text()[-3000:]
            time.sleep(0.1)

        live = httpx.get(f"{base}/health/live", timeout=10)
        assert (live.status_code, live.json()) == (200, {"status": "alive"})
        ready = httpx.get(f"{base}/health/ready", timeout=10)
        assert ready.status_code == 503
        assert ready.json() == {"status": "not ready", "failing": ["queue"]}
        report = httpx.get(f"{base}/health", timeout=10, follow_redirects=False)
        assert report.status_code == 503
        body = report.json()
        assert body["status"] == "unhealthy"
        assert body["components"]["resources"]["checked_at"] is not None
        assert httpx.get(f"{base}/health/nope", timeout=10).status_code == 404
        assert httpx.post(f"{base}/health/ready", timeout=10).status_code == 405

        samples = scrape(base)
        overall = {
            dict(labels)["health_status"]: value
            for (name, labels), value in samples.items()
            if name == "signalpost_health_status"
        }
        assert overall == {"healthy": 0, "degraded": 0, "unhealthy": 1}
        resources_runs = ("signalpost_health_check_duration_seconds_count", (
            ("health_check_kind", "non_critical"), ("health_check_name", "resources"),
        ))  # fmt: skip
        assert samples[resources_runs] >= 1
        assert worker.stop() == 0
    # A check failing from its first run is logged, once: state changes only.
    # (The resources check may log too: a busy test machine can degrade it.)
    queue = [
        r["body"]
        for r in log_lines(worker, "signalpost.health")
        if "'queue'" in str(r["body"])
    ]
    assert queue == ["health check 'queue' is unhealthy: check returned False"], queue
