"""The demo's job worker: candidate matching, resume parsing and a periodic digest.

Run with ``python -m demo.worker`` (``DEMO_DATABASE_URL`` set; metrics and health on
``SIGNALPOST_METRICS_PORT``; ``DEMO_JOBS_TOKEN_FILE``: a file with the bearer token that
``/metrics`` and ``/jobs`` then require). It claims jobs from the ``job_queue`` table, runs
each as a monitored job whose trace continues the request that enqueued it, and stops cleanly on
SIGTERM or Ctrl-C: running jobs are cancelled (recorded as cancelled) and telemetry is flushed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import signal
import time
from typing import Any

import signalpost
from demo import store
from demo.faults import Fault, FaultSwitches
from demo.outcomes import OwedFirstCheck, OwedOutcomes
from demo.recovery import read_token
from demo.scoring import ScoringClient, scoring_breaker
from signalpost.breaker import BreakerCheck, CircuitBreaker
from signalpost.errors.classify import default_classifier
from signalpost.health import CheckSettings
from signalpost.jobs import JobOptions

__all__ = ["HELD_MESSAGE", "Worker", "main"]

log = logging.getLogger("demo.worker")
JOB_TYPES = store.QUEUED_JOB_TYPES
_FINISH_ATTEMPTS = 40  # about 6 minutes of a database outage; the health check writes later
_HOLD_POLL = 0.2
HELD_MESSAGE = "held until the database goes away"
"""The progress message of the run the ``held_job`` fault holds (tests look for it)."""
SKILLS = ("python", "sql", "fastapi", "kubernetes", "react", "go", "ml", "terraform")


class Worker:
    """Claims and runs jobs with a bounded concurrency; runs the digest on a period."""

    def __init__(
        self,
        pool: Any,
        faults: FaultSwitches,
        *,
        concurrency: int = 4,
        digest_interval: float = 60.0,
        item_delay: float = 0.02,
        scoring: CircuitBreaker | None = None,
    ) -> None:
        self.pool = pool
        self.faults = faults
        self.scoring = scoring or scoring_breaker()
        self._scoring_api = ScoringClient(faults)
        self.concurrency = concurrency
        self.digest_interval = digest_interval
        self.item_delay = item_delay
        self.owed = OwedOutcomes(pool)
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()

        retry = signalpost.RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=5.0)
        self.matching = signalpost.monitored_job(
            "matching",
            job_id=lambda job: str(job.id),
            params=lambda job: {**job.payload, "request.id": job.request_id},
            parent=lambda job: job.trace_context,
            retry=retry,
            options=JobOptions(enqueued_at=lambda job: job.enqueued_at, progress_interval=5.0),
        )(self._match)
        self.parsing = signalpost.monitored_job(
            "resume_parsing",
            job_id=lambda job: str(job.id),
            params=lambda job: {**job.payload, "request.id": job.request_id},
            parent=lambda job: job.trace_context,
            retry=retry,
            options=JobOptions(enqueued_at=lambda job: job.enqueued_at),
        )(self._parse)
        self.digest = signalpost.monitored_job("digest")(self._digest)

    async def run(self) -> None:
        """Claim and run jobs until :meth:`stop`."""
        next_digest = time.monotonic() + min(self.digest_interval, 5.0)
        while not self._stopping.is_set():
            if time.monotonic() >= next_digest:
                self._spawn(self._run_digest())
                next_digest = time.monotonic() + self.digest_interval
            job = None
            if len(self._tasks) < self.concurrency and not await self._paused():
                try:
                    job = await store.claim_job(self.pool, JOB_TYPES)
                except Exception:
                    log.warning("claiming a job failed; retrying", exc_info=True)
            if job is not None:
                self._spawn(self._run_queued(job))
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=0.5)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _paused(self) -> bool:
        try:
            return await self.faults.is_on(Fault.WORKER_PAUSED)
        except Exception:
            return False  # the switches cannot be read: keep consuming

    def stop(self) -> None:
        """Ask :meth:`run` to return; running jobs are cancelled."""
        self._stopping.set()

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_queued(self, job: store.QueuedJob) -> None:
        runner = self.matching if job.job_type == "matching" else self.parsing
        try:
            await runner(job)
        except asyncio.CancelledError:
            self.owed.add(job.id, "cancelled")
            with contextlib.suppress(Exception):
                await asyncio.shield(self.owed.flush())
            raise
        except Exception as error:
            await self._finish(job.id, "failed", type(error).__name__,
                               default_classifier.classify(error).value)
        else:
            await self._finish(job.id, "succeeded")

    async def _finish(
        self, job_id: int, state: str, error: str | None = None, error_class: str | None = None
    ) -> None:
        # A run that failed because the database went away cannot record it until the database
        # is back: keep trying (with the time it ended), so that the recovery runner finds it
        # among the jobs that failed during the outage (demo/recovery.py). What is still owed
        # after the attempts is written by the database health check (demo/outcomes.py).
        self.owed.add(job_id, state, error, error_class)
        delay = 0.5
        for _ in range(_FINISH_ATTEMPTS):
            try:
                await self.owed.flush()
            except Exception:
                log.warning("recording job %s as %s failed; retrying", job_id, state)
            if not self.owed.owes(job_id):
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)

    async def _run_digest(self) -> None:
        with contextlib.suppress(Exception):
            await self.digest()

    async def _match(self, job: store.QueuedJob) -> int:
        """Score every candidate against the posting, reporting progress."""
        run = signalpost.current_run()
        if await self.faults.is_on(Fault.MISSING_CONFIG):
            raise signalpost.ConfigurationError("SCORING_MODEL is not set for candidate matching")
        posting_id = int(job.payload["posting_id"])
        async with self.pool.connection() as conn:
            posting = await (
                await conn.execute("SELECT skills FROM postings WHERE id = %s", (posting_id,))
            ).fetchone()
            candidates = await (
                await conn.execute("SELECT id, skills FROM candidates ORDER BY id")
            ).fetchall()
        if posting is None:
            raise signalpost.DataError(f"posting {posting_id} does not exist")
        wanted = set(posting[0])
        total = len(candidates)
        run.progress(0, total, "scoring candidates")
        if await self.faults.is_on(Fault.HELD_JOB) and await self.faults.take(Fault.HELD_JOB):
            await self._hold(run, total)
        for done, (candidate_id, skills) in enumerate(candidates, 1):
            if await self.faults.is_on(Fault.HUNG_JOB) and await self.faults.take(Fault.HUNG_JOB):
                await asyncio.Event().wait()  # a deadlock: no progress until cancelled
            if await self.faults.is_on(Fault.TRANSIENT_ERRORS) and random.random() < 0.02:
                raise signalpost.TransientError("embedding service timed out")
            await asyncio.sleep(self.item_delay)
            score = await self.scoring.acall(self._scoring_api.score, wanted, skills)
            async with self.pool.connection() as conn:
                await conn.execute(
                    "INSERT INTO matches (posting_id, candidate_id, score) VALUES (%s, %s, %s)"
                    " ON CONFLICT (posting_id, candidate_id) DO UPDATE SET score = EXCLUDED.score",
                    (posting_id, candidate_id, score),
                )
            run.progress(done, total, "scoring candidates")
            if done % 25 == 0 or done == total:
                await store.record_progress(self.pool, job.id, done, total)
        return total

    async def _hold(self, run: Any, total: int) -> None:
        """The ``held_job`` fault: read the database until a read fails (an outage)."""
        run.progress(0, total, HELD_MESSAGE)
        while True:
            await asyncio.sleep(_HOLD_POLL)
            async with self.pool.connection() as conn:
                await conn.execute("SELECT 1")

    async def _parse(self, job: store.QueuedJob) -> int:
        """Extract skills from a candidate's resume."""
        candidate_id = int(job.payload["candidate_id"])
        if await self.faults.is_on(Fault.TRANSIENT_ERRORS) and random.random() < 0.5:
            raise signalpost.TransientError("document store connection reset")
        if await self.faults.is_on(Fault.BAD_DATA):
            raise signalpost.DataError(f"resume of candidate {candidate_id} is not valid UTF-8")
        async with self.pool.connection() as conn:
            row = await (
                await conn.execute("SELECT resume FROM candidates WHERE id = %s", (candidate_id,))
            ).fetchone()
            if row is None:
                raise signalpost.DataError(f"candidate {candidate_id} does not exist")
            text = str(row[0]).lower()
            skills = [s for s in SKILLS if s in text] or [random.choice(SKILLS)]
            await conn.execute(
                "UPDATE candidates SET skills = %s WHERE id = %s", (skills, candidate_id)
            )
        await store.record_progress(self.pool, job.id, 1, 1)
        return len(skills)

    async def _digest(self) -> int:
        """Count the day's new candidates and matches (a periodic job)."""
        async with self.pool.connection() as conn:
            row = await (
                await conn.execute(
                    "SELECT (SELECT count(*) FROM candidates"
                    "         WHERE created_at > now() - interval '1 day'),"
                    "       (SELECT count(*) FROM matches)"
                )
            ).fetchone()
        log.info("daily digest", extra={"digest.candidates": row[0], "digest.matches": row[1]})
        return int(row[0])


async def _serve() -> None:
    url = store.database_url()
    health = signalpost.HealthMonitor()
    health.add(signalpost.ResourcesCheck(paths=["/"]))
    # The running-jobs endpoint (and /metrics beside it) wants this token: the recovery runner
    # cancels stuck runs with it, Prometheus scrapes with it (demo/recovery.py).
    token_file = os.environ.get("DEMO_JOBS_TOKEN_FILE")
    overrides = {"metrics": {"bearer_token": read_token(token_file)}} if token_file else None
    telemetry = signalpost.setup(health=health, overrides=overrides)
    db = signalpost.DatabaseInstrumentation()
    pool = await store.open_pool(url, db, max_size=8)
    worker = Worker(
        pool,
        FaultSwitches(pool),
        concurrency=int(os.environ.get("DEMO_WORKER_CONCURRENCY", "4")),
        digest_interval=float(os.environ.get("DEMO_DIGEST_INTERVAL", "60")),
        item_delay=float(os.environ.get("DEMO_ITEM_DELAY", "0.02")),
    )
    # The database is up for the worker once it has written what it owes it: DatabaseDown
    # cannot resolve before the outage's failures are in job_queue (demo/outcomes.py).
    database = signalpost.PostgresCheck(
        url, settings=CheckSettings(interval=float(os.environ.get("DEMO_HEALTH_INTERVAL", "15")))
    )
    health.add(OwedFirstCheck(database, worker.owed))
    try:
        await pool.wait(timeout=30)
        await store.migrate(pool)
        health.add(
            BreakerCheck(
                [worker.scoring],
                interval=float(os.environ.get("DEMO_HEALTH_INTERVAL", "5")),
            )
        )
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, worker.stop)
        log.info("worker started", extra={"job.types": list(JOB_TYPES)})
        await worker.run()
    finally:
        await pool.close()
        telemetry.shutdown()


def main() -> None:
    """Entry point of ``python -m demo.worker``."""
    asyncio.run(_serve())


if __name__ == "__main__":
    main()
