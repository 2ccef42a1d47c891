"""The running-jobs endpoints against a real uvicorn server running real monitored jobs."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from tests.jobs.livejobs import (
    AUTH,
    TOKEN,
    live_server,
    new_id,
    progressing,
    release,
    runs_by_id,
    start,
    wait_for,
)
from tests.servers import Server, free_port, serve

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with live_server(tmp_path_factory.mktemp("live") / "server.log") as running:
        yield running


def test_list_shows_each_running_run_with_its_progress(server: Server) -> None:
    async_id, sync_id = new_id("async"), new_id("sync")
    start(server, async_id, job_type="import")
    start(server, sync_id, job_type="export", sync="true", total=500)
    before = time.time()
    runs = wait_for(lambda: progressing(server, async_id, sync_id))
    response = httpx.get(f"{server.base_url}/jobs", headers=AUTH)
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["process"]["pid"] == server.process.pid
    assert isinstance(body["process"]["hostname"], str)
    assert body["count"] >= 2 and body["next_cursor"] is None
    for job_id, job_type, total in ((async_id, "import", 1000), (sync_id, "export", 500)):
        run = runs[job_id]
        assert run["job_type"] == job_type
        assert run["state"] == "running" and run["attempt"] == 1
        assert run["cancel_requested"] is False
        assert before - 30 < run["started_at"] <= time.time()
        assert run["age_seconds"] >= 0 and run["seconds_since_progress"] >= 0
        progress = run["progress"]
        assert progress["total"] == total and 1 <= progress["done"] <= total
        assert progress["ratio"] == pytest.approx(progress["done"] / total)
        assert progress["at"] >= run["started_at"]
        # the message is scrubbed before it leaves the process
        assert progress["message"].startswith("row ") and "hunter2" not in progress["message"]
        assert re.fullmatch("[0-9a-f]{32}", run["trace_id"])
    assert release(server, async_id) == "succeeded"
    assert release(server, sync_id) == "succeeded"
    gone = runs_by_id(server, limit=1000)
    assert async_id not in gone and sync_id not in gone


def test_pages_follow_the_cursor_oldest_first(server: Server) -> None:
    job_type = new_id("paged")
    ids = [new_id(f"p{i}") for i in range(5)]
    for job_id in ids:
        start(server, job_id, job_type=job_type)
        time.sleep(0.01)  # distinct start times
    wait_for(lambda: progressing(server, *ids))
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"type": job_type, "limit": "2", **({"cursor": cursor} if cursor else {})}
        body = httpx.get(f"{server.base_url}/jobs", params=params, headers=AUTH).json()
        pages += 1
        assert body["count"] == 5 and len(body["runs"]) <= 2
        seen += [run["job_id"] for run in body["runs"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and seen == ids
    for job_id in ids:
        release(server, job_id)


def test_detail_shows_the_retry_history_so_far(server: Server) -> None:
    job_id = new_id("flaky")
    start(server, job_id, fail_first=2)

    def third_attempt() -> dict[str, object] | None:
        response = httpx.get(f"{server.base_url}/jobs/{job_id}", headers=AUTH)
        if response.status_code != 200:
            return None
        run: dict[str, object] = response.json()["run"]
        return run if run["attempt"] == 3 and run["progress"] is not None else None

    run = wait_for(third_attempt)
    attempts = run["attempts"]
    assert isinstance(attempts, list) and [a["number"] for a in attempts] == [1, 2, 3]
    for failed in attempts[:2]:
        assert failed["ended"] is True and failed["retried"] is True
        assert failed["error_class"] == "transient"
        assert failed["error_type"] == "signalpost.errors.classify.TransientError"
    assert attempts[0]["delay_seconds"] == 0
    for retried in attempts[1:]:  # RetryPolicy(base_delay=0.02, max_delay=0.05, jitter=0.5)
        assert 0.01 <= retried["delay_seconds"] <= 0.05
    assert attempts[2]["ended"] is False and attempts[2]["error_class"] is None
    assert release(server, job_id) == "succeeded"


@pytest.mark.parametrize("sync", ["false", "true"])
def test_cancel_ends_the_run_as_cancelled(server: Server, sync: str) -> None:
    job_id = new_id("cancel")
    start(server, job_id, sync=sync)
    wait_for(lambda: progressing(server, job_id))
    response = httpx.post(f"{server.base_url}/jobs/{job_id}/cancel", headers=AUTH)
    assert response.status_code == 202
    assert response.json()["job_id"] == job_id and response.json()["cancelled"] == 1

    def outcome() -> str | None:
        answer = httpx.get(f"{server.base_url}/outcome", params={"job_id": job_id})
        return answer.json()["state"] if answer.status_code == 200 else None

    assert wait_for(outcome) == "cancelled"
    assert httpx.get(f"{server.base_url}/jobs/{job_id}", headers=AUTH).status_code == 404
    again = httpx.post(f"{server.base_url}/jobs/{job_id}/cancel", headers=AUTH)
    assert again.status_code == 404 and again.json()["error"] == "no running job with this ID"


def test_a_run_that_finishes_between_list_and_detail_is_a_404(server: Server) -> None:
    job_id = new_id("brief")
    start(server, job_id)
    assert job_id in wait_for(lambda: progressing(server, job_id))
    assert release(server, job_id) == "succeeded"
    detail = httpx.get(f"{server.base_url}/jobs/{job_id}", headers=AUTH)
    assert detail.status_code == 404
    assert detail.json()["error"] == "no running job with this ID"
    assert detail.json()["process"]["pid"] == server.process.pid
    cancel = httpx.post(f"{server.base_url}/jobs/{job_id}/cancel", headers=AUTH)
    assert cancel.status_code == 404


def test_credentials_are_required_like_for_metrics(server: Server) -> None:
    job_id = new_id("guarded")
    start(server, job_id)
    wait_for(lambda: progressing(server, job_id))
    wrong = {"Authorization": "Bearer not-the-token"}
    for headers in ({}, wrong, {"Authorization": f"Basic {TOKEN}"}):
        for method, path in (
            ("GET", "/jobs"),
            ("GET", f"/jobs/{job_id}"),
            ("POST", f"/jobs/{job_id}/cancel"),
            ("GET", "/jobs/nonexistent"),
        ):
            response = httpx.request(method, server.base_url + path, headers=headers)
            assert response.status_code == 401, (method, path, headers)
            assert response.headers["www-authenticate"].startswith("Bearer")
            assert job_id not in response.text and "runs" not in response.json()
        assert httpx.get(f"{server.base_url}/metrics", headers=headers).status_code == 401
    # the refused cancel did nothing
    assert runs_by_id(server)[job_id]["cancel_requested"] is False
    assert release(server, job_id) == "succeeded"


def test_hostile_ids_methods_and_query_parameters(server: Server) -> None:
    odd_id = "résumé/42 ?#%2F<script>"
    start(server, odd_id)
    wait_for(lambda: progressing(server, odd_id))
    encoded = quote(odd_id, safe="")
    detail = httpx.get(f"{server.base_url}/jobs/{encoded}", headers=AUTH)
    assert detail.status_code == 200 and detail.json()["run"]["job_id"] == odd_id

    expected = {
        ("GET", "/jobs?limit=0"): 400,
        ("GET", "/jobs?limit=-1"): 400,
        ("GET", "/jobs?limit=1001"): 400,
        ("GET", "/jobs?limit=1e3"): 400,
        ("GET", "/jobs?limit=%00"): 400,
        ("GET", "/jobs?cursor=%FF%FE"): 400,
        ("GET", "/jobs?cursor=bm90IGpzb24"): 400,
        ("GET", "/jobs?cursor=WzEsMiwzXQ"): 400,  # [1,2,3]
        ("GET", "/jobs?" + "&".join(f"k{i}=v" for i in range(50))): 400,
        ("GET", "/jobs?type=%00%FF&limit=5&unknown=1"): 200,
        ("GET", "/jobs?limit=1&limit=x"): 200,
        ("GET", "/jobs/"): 200,
        ("GET", "/jobs/%FF%FE"): 404,
        ("GET", "/jobs/..%2F..%2Fetc%2Fpasswd"): 404,
        ("GET", "/jobs/" + "x" * 5000): 404,
        ("GET", "/jobs/a/b/c"): 404,
        ("GET", "/jobs//cancel"): 405,
        ("POST", "/jobs//cancel"): 404,
        ("POST", "/jobs/%00/cancel"): 404,
        ("GET", f"/jobs/{encoded}/cancel"): 405,
        ("DELETE", f"/jobs/{encoded}"): 405,
        ("PUT", "/jobs"): 405,
        ("POST", "/jobs"): 405,
        ("PATCH", "/jobs/x/cancel"): 405,
        ("HEAD", "/jobs"): 200,
    }
    for (method, path), status in expected.items():
        response = httpx.request(method, server.base_url + path, headers=AUTH)
        assert response.status_code == status, (method, path, response.text)
        if method != "HEAD":
            assert "error" in response.json() or "runs" in response.json()
        if status == 405:
            assert response.headers["allow"] in ("GET, HEAD", "POST")
    # still running, not cancelled by any of that
    assert runs_by_id(server)[odd_id]["cancel_requested"] is False
    assert "Traceback" not in server.log_text()
    assert release(server, odd_id) == "succeeded"


def test_the_endpoints_stay_out_of_the_http_metrics(server: Server) -> None:
    httpx.get(f"{server.base_url}/jobs", headers=AUTH)
    httpx.get(f"{server.base_url}/jobs/none", headers=AUTH)
    scraped = httpx.get(f"{server.base_url}/metrics", headers=AUTH).text
    routes = set(re.findall(r'http_route="([^"]*)"', scraped))
    assert "/start" in routes
    assert not any(route.startswith("/jobs") for route in routes)


def test_each_gunicorn_worker_answers_for_its_own_runs(tmp_path: Path) -> None:
    port = free_port()
    multiproc_dir = tmp_path / "multiproc"
    multiproc_dir.mkdir()
    command = [
        sys.executable, "-m", "gunicorn",
        "-c", "python:signalpost.sdk.gunicorn_config",
        "-k", "uvicorn_worker.UvicornWorker", "-w", "2", "-b", f"127.0.0.1:{port}",
        "--graceful-timeout", "5", "--no-control-socket",
        "tests.jobs.live_app:app",
    ]  # fmt: skip
    env = {
        "PROMETHEUS_MULTIPROC_DIR": str(multiproc_dir),
        "SIGNALPOST_METRICS_BEARER_TOKEN": TOKEN,
        "SIGNALPOST_LOGGING_JSON": "false",
    }
    base = f"http://127.0.0.1:{port}"
    with serve(command, base, tmp_path / "gunicorn.log", ready_path="/jobs", env=env) as server:
        ids = [new_id("mp") for _ in range(24)]

        def start_one(job_id: str) -> None:
            with httpx.Client(headers={"Connection": "close"}, timeout=10) as client:
                assert client.post(f"{base}/start", params={"job_id": job_id}).status_code == 202

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(start_one, ids))

        listed: dict[int, set[str]] = {}

        def poll() -> dict[int, set[str]]:
            with httpx.Client(headers={"Connection": "close", **AUTH}, timeout=10) as client:
                body = client.get(f"{base}/jobs", params={"limit": 1000}).json()
            return {body["process"]["pid"]: {run["job_id"] for run in body["runs"]}}

        def every_run_seen() -> bool:
            with ThreadPoolExecutor(4) as pool:
                for answer in pool.map(lambda _: poll(), range(8)):
                    for pid, seen in answer.items():
                        listed.setdefault(pid, set()).update(seen)
            return set().union(*listed.values()) >= set(ids)

        wait_for(every_run_seen, 60)
        assert server.process.pid not in listed  # answered by workers, never the master
        # Both workers got jobs (the blocking /start spreads them), and each lists only its own.
        assert len(listed) == 2, listed
        first, second = listed.values()
        assert first and second and not first & second and len(first | second) == len(ids)
        assert "Traceback" not in server.log_text()
