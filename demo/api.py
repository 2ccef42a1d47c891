"""The demo service's HTTP API: candidates, job postings, matching jobs and fault switches.

Run with ``uvicorn demo.api:app`` (``DEMO_DATABASE_URL`` set); the local stack
(``bash scripts/demo.sh``) does it for you. Every response carries ``X-Request-ID``; the
matching job it enqueues continues the request's trace in the worker.
"""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, HTTPException
from prometheus_client import REGISTRY
from pydantic import BaseModel, Field

import signalpost
from demo import store
from demo.backlog import QueueTableBacklog
from demo.faults import Fault, FaultSwitches
from signalpost.health import CheckSettings
from signalpost.jobs import watch_backlog
from signalpost.sdk import JobSources

__all__ = ["create_app"]


class CandidateIn(BaseModel):
    """A candidate to add; the resume is parsed by a background job."""

    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=320)
    resume: str = Field(default="", max_length=100_000)


class PostingIn(BaseModel):
    """A job posting to match candidates against."""

    title: str = Field(min_length=1, max_length=200)
    skills: list[str] = Field(default_factory=list, max_length=50)


class _State:
    """What the lifespan opens: the pool and the fault switches."""

    pool: Any = None
    faults: FaultSwitches | None = None


def create_app() -> FastAPI:
    """Build the API; it opens its pool in its lifespan and sets Signalpost up in one call."""
    state = _State()
    db = signalpost.DatabaseInstrumentation()
    url = store.database_url()

    # The API reports the queue's backlog, so that it is seen while the worker is down.
    backlog = QueueTableBacklog(url)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state.pool = await store.open_pool(url, db)
        await state.pool.wait(timeout=30)
        await store.migrate(state.pool)
        state.faults = FaultSwitches(state.pool)
        collector = watch_backlog(backlog, job_types=[(t, "") for t in store.QUEUED_JOB_TYPES])
        try:
            yield
        finally:
            REGISTRY.unregister(collector)
            backlog.close()
            await state.pool.close()

    app = FastAPI(title="Signalpost demo: recruiting API", lifespan=lifespan)

    async def pool_and_faults() -> tuple[Any, FaultSwitches]:
        if state.pool is None or state.faults is None:
            raise HTTPException(status_code=503, detail="starting")
        faults = state.faults
        if await faults.is_on(Fault.ERROR_BURST) and random.random() < 0.8:
            raise RuntimeError("recommendation cache returned a corrupt entry")
        return state.pool, faults

    async def maybe_slow(pool: Any, faults: FaultSwitches) -> None:
        if await faults.is_on(Fault.SLOW_QUERIES):
            async with pool.connection() as conn:
                await conn.execute("SELECT pg_sleep(0.3)")

    @app.post("/candidates", status_code=201)
    async def create_candidate(candidate: CandidateIn) -> dict[str, Any]:
        """Add a candidate and enqueue the parsing of their resume."""
        pool, faults = await pool_and_faults()
        await maybe_slow(pool, faults)
        async with pool.connection() as conn:
            row = await (
                await conn.execute(
                    "INSERT INTO candidates (name, email, resume) VALUES (%s, %s, %s) RETURNING id",
                    (candidate.name, candidate.email, candidate.resume),
                )
            ).fetchone()
        candidate_id = int(row[0])
        job_id = await store.enqueue(
            pool,
            "resume_parsing",
            {"candidate_id": candidate_id},
            signalpost.inject_context(),
            signalpost.current_request_id(),
        )
        return {"id": candidate_id, "parse_job_id": job_id}

    @app.get("/candidates/{candidate_id}")
    async def get_candidate(candidate_id: int) -> dict[str, Any]:
        """One candidate, with the skills their resume was parsed into."""
        pool, faults = await pool_and_faults()
        await maybe_slow(pool, faults)
        async with pool.connection() as conn:
            row = await (
                await conn.execute(
                    "SELECT id, name, skills FROM candidates WHERE id = %s", (candidate_id,)
                )
            ).fetchone()
        if row is None:
            raise HTTPException(status_code=404, detail="candidate not found")
        return {"id": row[0], "name": row[1], "skills": row[2]}

    @app.post("/postings", status_code=201)
    async def create_posting(posting: PostingIn) -> dict[str, Any]:
        """Add a job posting."""
        pool, faults = await pool_and_faults()
        await maybe_slow(pool, faults)
        async with pool.connection() as conn:
            row = await (
                await conn.execute(
                    "INSERT INTO postings (title, skills) VALUES (%s, %s) RETURNING id",
                    (posting.title, posting.skills),
                )
            ).fetchone()
        return {"id": int(row[0])}

    @app.post("/postings/{posting_id}/matching", status_code=202)
    async def start_matching(posting_id: int) -> dict[str, Any]:
        """Enqueue candidate matching for a posting; the worker continues this trace."""
        pool, faults = await pool_and_faults()
        await maybe_slow(pool, faults)
        async with pool.connection() as conn:
            found = await (
                await conn.execute("SELECT 1 FROM postings WHERE id = %s", (posting_id,))
            ).fetchone()
        if found is None:
            raise HTTPException(status_code=404, detail="posting not found")
        job_id = await store.enqueue(
            pool,
            "matching",
            {"posting_id": posting_id},
            signalpost.inject_context(),
            signalpost.current_request_id(),
        )
        return {"job_id": job_id, "status": f"/queue/{job_id}"}

    @app.get("/queue/{job_id}")
    async def job_status(job_id: int) -> dict[str, Any]:
        """A job's state and progress, as the worker recorded them."""
        pool, _ = await pool_and_faults()
        status = await store.job_status(pool, job_id)
        if status is None:
            raise HTTPException(status_code=404, detail="job not found")
        return status

    @app.get("/faults")
    async def list_faults() -> dict[str, bool]:
        """Every fault switch and whether it is on."""
        if state.faults is None:
            raise HTTPException(status_code=503, detail="starting")
        on = await state.faults.enabled()
        return {fault.value: fault in on for fault in Fault}

    @app.put("/faults/{name}")
    async def switch_fault(name: Fault, enabled: bool = True) -> dict[str, bool]:
        """Switch a fault on or off, for the API and the worker."""
        if state.faults is None:
            raise HTTPException(status_code=503, detail="starting")
        await state.faults.set(name, enabled)
        return {name.value: enabled}

    health = signalpost.HealthMonitor()
    health.add(
        signalpost.PostgresCheck(
            url,
            settings=CheckSettings(
                interval=float(os.environ.get("DEMO_HEALTH_INTERVAL", "15"))
            ),
        )
    )
    health.add(signalpost.ResourcesCheck(paths=["/"]))
    signalpost.setup(app, health=health, jobs=JobSources(backlog=backlog))
    return app


def __getattr__(name: str) -> Any:
    # ``uvicorn demo.api:app`` builds the app on first access, not at import.
    if name == "app":
        built = create_app()
        globals()["app"] = built
        return built
    raise AttributeError(name)
