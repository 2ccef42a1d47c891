"""A small recruiting-platform API instrumented with Signalpost.

Run it with ``bash scripts/demo.sh`` (or ``uvicorn examples.app:app``), then::

    curl -i localhost:8000/candidates/42         # X-Request-ID in the response
    curl -i localhost:8000/candidates/oops       # 422, counted under the route template
    curl -i localhost:8000/boom                  # 500 with the request ID; one error record
    curl -X POST 'localhost:8000/matching-jobs?candidates=300'   # a monitored background job
    curl localhost:8000/jobs                     # running jobs, with progress (setup() serves it)
    curl -X POST localhost:8000/jobs/JOB_ID/cancel   # cancel one; it ends as cancelled
    python -m signalpost jobs http://localhost:8000/jobs   # live progress bars, rates, ETAs
    curl localhost:8000/health                   # health report (also /health/live, /ready)
    curl localhost:8000/metrics                  # Prometheus exposition

Every log line on stderr is JSON with ``trace_id``, ``span_id`` and ``request_id`` (and
``job_id`` inside jobs). Set ``DATABASE_URL`` (a libpq connection string) to add a PostgreSQL
health check.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
from typing import Any

from fastapi import FastAPI, HTTPException

from signalpost import (
    HealthMonitor,
    PostgresCheck,
    ResourcesCheck,
    RetryPolicy,
    TransientError,
    current_request_id,
    current_run,
    inject_context,
    monitored_job,
    setup,
)

log = logging.getLogger("examples.app")

app = FastAPI(title="Signalpost example: recruiting API")
health = HealthMonitor()
health.add(ResourcesCheck(paths=["/"]))
if os.environ.get("DATABASE_URL"):
    health.add(PostgresCheck(os.environ["DATABASE_URL"]))
_background: set[asyncio.Task[Any]] = set()


@app.get("/candidates/{candidate_id}")
async def get_candidate(candidate_id: int) -> dict[str, object]:
    """Return one candidate; 404 for IDs above 1000."""
    if candidate_id > 1000:
        raise HTTPException(status_code=404, detail="candidate not found")
    log.info("candidate fetched", extra={"candidate.id": candidate_id})
    return {
        "id": candidate_id,
        "name": f"Candidate {candidate_id}",
        "request_id": current_request_id(),
    }


@app.get("/boom")
async def boom() -> None:
    """Fail with an unhandled error (captured, classified, answered as a clean 500)."""
    raise RuntimeError("scoring model returned NaN for candidate 17 (token=sk-demo-secret-value)")


@app.get("/flaky")
async def flaky() -> dict[str, str]:
    """Fail transiently one time in three."""
    if random.random() < 1 / 3:
        raise TransientError("upstream ATS timed out")
    return {"status": "ok"}


@monitored_job(
    "ai_matching",
    params=lambda payload: {"candidates": payload["candidates"]},
    parent=lambda payload: payload["trace"],
    retry=RetryPolicy(max_attempts=3, base_delay=0.5, max_delay=5.0, timeout=600),
)
async def match_candidates(payload: dict[str, Any]) -> int:
    """Score every candidate of the payload, reporting progress; fails transiently at times."""
    run = current_run()
    total = int(payload["candidates"])
    for done in range(1, total + 1):
        await asyncio.sleep(0.01)
        run.progress(done, total, "scoring candidates")
        if done == total // 2 and random.random() < 0.3:
            raise TransientError("embedding service timed out")
    return total


@app.post("/matching-jobs", status_code=202)
async def start_matching(candidates: int = 200) -> dict[str, object]:
    """Enqueue a matching job; its trace continues this request's trace."""
    payload = {"candidates": candidates, "trace": inject_context()}
    task = asyncio.create_task(match_candidates(payload))
    _background.add(task)
    task.add_done_callback(_background.discard)
    return {"status": "accepted", "request_id": current_request_id()}


telemetry = setup(app, health=health)
