"""A small recruiting-platform API instrumented with Signalpost.

Run it with ``bash scripts/demo.sh`` (or ``uvicorn examples.app:app``), then::

    curl -i localhost:8000/candidates/42        # X-Request-ID in the response
    curl -i localhost:8000/candidates/oops      # 422, counted under the route template
    curl -i localhost:8000/boom                 # 500 with the request ID; one error record
    curl localhost:8000/metrics                 # Prometheus exposition

Every log line on stderr is JSON with ``trace_id``, ``span_id`` and ``request_id``.
"""

from __future__ import annotations

import logging
import random

from fastapi import FastAPI, HTTPException

from exporters import setup
from instrumentation import TransientError, current_request_id

log = logging.getLogger("examples.app")

app = FastAPI(title="Signalpost example: recruiting API")


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


telemetry = setup(app)
