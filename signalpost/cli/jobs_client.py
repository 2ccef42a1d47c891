"""Reading a service's running-jobs endpoint, and the rates and ETAs derived from it.

Standard library and Signalpost's own wire forms only: the terminal rendering is
:mod:`signalpost.cli.jobs_view`.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from signalpost.jobs.backlog import Backlog
from signalpost.jobs.wire import from_json

_REQUIRED = ("job_id", "job_type", "state", "attempt", "started_at", "age_seconds")

__all__ = ["JobsClient", "JobsSnapshot", "RateTracker", "Run", "ServiceError"]

MAX_PAGES = 10
_WINDOW = 8  # progress samples kept per run for its rate


class ServiceError(RuntimeError):
    """The endpoint could not be read (unreachable, refused, or not a jobs endpoint)."""


@dataclass(frozen=True, slots=True)
class Run:
    """One running run as the endpoint lists it."""

    job_id: str
    job_type: str
    state: str
    attempt: int
    started_at: float
    age: float
    since_progress: float
    done: float | None
    total: float | None
    ratio: float | None
    message: str | None
    progress_at: float | None
    cancel_requested: bool
    worker: str | None = None
    """The queue worker running it (Celery's hostname); ``None``: the answering process."""

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Run:
        """Build from one element of ``runs`` (the one wire form of a running job, read by
        :func:`signalpost.jobs.wire.from_json`).

        Raises:
            KeyError, TypeError, ValueError: The element is malformed.
        """
        missing = [key for key in _REQUIRED if key not in raw]
        if missing:
            raise KeyError(f"a run without {', '.join(missing)}")
        job = from_json(raw)
        ratio = None
        if job.done is not None and job.total is not None and job.total > 0:
            ratio = max(0.0, min(1.0, job.done / job.total))
        return cls(
            job_id=job.job_id,
            job_type=job.job_type,
            state=str(job.state),
            attempt=job.attempt,
            started_at=job.started_at,
            age=job.age,
            since_progress=job.since_progress,
            done=job.done,
            total=job.total,
            ratio=ratio,
            message=job.message,
            progress_at=job.last_progress_at if job.done is not None else None,
            cancel_requested=job.cancel_requested,
            worker=job.worker,
        )

    @property
    def key(self) -> tuple[str, float]:
        """Identifies the run across polls (IDs may be reused by later runs)."""
        return self.job_id, self.started_at


@dataclass(frozen=True, slots=True)
class JobsSnapshot:
    """One poll of the endpoint."""

    runs: list[Run]
    count: int
    pid: int | None
    hostname: str
    waiting: list[Backlog] | None = None
    """What waits behind the runs, per job type and queue (``None``: the service has no
    backlog source, or could not read it)."""


class JobsClient:
    """Reads ``GET URL`` (every page) with optional bearer or basic credentials.

    Args:
        url: The endpoint, e.g. ``http://localhost:8000/jobs``.
        token: Bearer token.
        user, password: Basic credentials (used when no token is given).
        timeout: Seconds per request.
        job_type: Only runs of this type.
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        user: str | None = None,
        password: str | None = None,
        timeout: float = 5.0,
        job_type: str | None = None,
    ) -> None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.url = url
        self._timeout = timeout
        self._job_type = job_type
        self._headers = {"Accept": "application/json"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        elif user is not None:
            pair = f"{user}:{password or ''}".encode()
            self._headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")

    def _get(self, cursor: str | None) -> dict[str, Any]:
        query = {k: v for k, v in (("cursor", cursor), ("type", self._job_type)) if v}
        url = self.url + ("?" + urllib.parse.urlencode(query) if query else "")
        request = urllib.request.Request(url, headers=self._headers)
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                body = response.read(8 * 1024 * 1024)
        except urllib.error.HTTPError as error:
            hint = " (give --token, or --user and --password)" if error.code == 401 else ""
            raise ServiceError(f"{url}: HTTP {error.code} {error.reason}{hint}") from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise ServiceError(f"{url}: {reason}") from None
        try:
            data = json.loads(body)
        except ValueError:
            raise ServiceError(f"{url}: the answer is not JSON") from None
        if not isinstance(data, dict) or not isinstance(data.get("runs"), list):
            raise ServiceError(f"{url}: not a running-jobs endpoint")
        return data

    def fetch(self) -> JobsSnapshot:
        """Read every page (at most :data:`MAX_PAGES`).

        Raises:
            ServiceError: The endpoint could not be read.
        """
        runs: list[Run] = []
        cursor: str | None = None
        first: dict[str, Any] = {}
        for _ in range(MAX_PAGES):
            data = self._get(cursor)
            first = first or data
            try:
                runs.extend(Run.from_json(raw) for raw in data["runs"])
            except (KeyError, TypeError, ValueError):
                raise ServiceError(f"{self.url}: malformed run in the answer") from None
            cursor = data.get("next_cursor") if isinstance(data.get("next_cursor"), str) else None
            if cursor is None:
                break
        found = first.get("process")
        process: dict[str, Any] = found if isinstance(found, dict) else {}
        pid = process.get("pid")
        count = first.get("count")
        return JobsSnapshot(
            runs=runs,
            count=count if isinstance(count, int) else len(runs),
            pid=pid if isinstance(pid, int) else None,
            hostname=str(process.get("hostname") or ""),
            waiting=self._waiting(first.get("waiting")),
        )

    def _waiting(self, raw: Any) -> list[Backlog] | None:
        if not isinstance(raw, list):
            return None
        now = time.time()
        try:
            return [Backlog.from_json(entry, now) for entry in raw if isinstance(entry, dict)]
        except ValueError:
            raise ServiceError(f"{self.url}: malformed backlog in the answer") from None


@dataclass
class RateTracker:
    """Items per second of each run, from the progress reports seen across polls.

    The rate over the last few distinct reports (their ``done`` and report time); with a
    single report, the average since the run started.
    """

    _samples: dict[tuple[str, float], deque[tuple[float, float]]] = field(default_factory=dict)

    def observe(self, runs: list[Run]) -> None:
        """Record this poll's reports; forget runs no longer listed."""
        alive = {run.key for run in runs}
        for key in [k for k in self._samples if k not in alive]:
            del self._samples[key]
        for run in runs:
            if run.done is None or run.progress_at is None:
                continue
            samples = self._samples.setdefault(run.key, deque(maxlen=_WINDOW))
            if not samples or samples[-1][0] < run.progress_at:
                samples.append((run.progress_at, run.done))

    def rate(self, run: Run) -> float | None:
        """Items per second, or ``None`` when unknown."""
        samples = self._samples.get(run.key)
        if samples and len(samples) >= 2:
            (t0, d0), (t1, d1) = samples[0], samples[-1]
            if t1 > t0:
                return max(0.0, (d1 - d0) / (t1 - t0))
        if run.done is not None and run.progress_at is not None:
            elapsed = run.progress_at - run.started_at
            if elapsed > 0:
                return max(0.0, run.done / elapsed)
        return None

    def eta(self, run: Run) -> float | None:
        """Seconds until ``total`` at the current rate, or ``None`` when unknown."""
        rate = self.rate(run)
        if run.total is None or run.done is None or not rate:
            return None
        return max(0.0, (run.total - run.done) / rate)
