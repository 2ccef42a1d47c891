"""What the running-jobs endpoints answer, whatever serves them: the route of a request
(list, one run, cancel), its credentials, and the JSON of the answer. The transports (ASGI,
WSGI) are :class:`~signalpost.serving.jobs.endpoint.JobsEndpoint`."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import unquote

from signalpost import runtime
from signalpost.errors.scrub import Scrubber
from signalpost.failsafe import note_failure
from signalpost.jobs.backlog import BacklogSource, combine
from signalpost.jobs.running import RunningJob, RunningJobs, RunSource, default_running_jobs
from signalpost.jobs.wire import scrubbed, to_json
from signalpost.serving.jobs.mounting import is_loopback
from signalpost.serving.jobs.paging import (
    BadRequest,
    ListQuery,
    encode_cursor,
    parse_list_query,
    sort_key,
)

__all__ = [
    "CANCEL_REASON",
    "CONTROL_REFUSED",
    "Answer",
    "FinishedRun",
    "FinishedRuns",
    "JobsAnswers",
    "RequestAuth",
]

CANCEL_REASON = "cancelled through the jobs endpoint"
CONTROL_REFUSED = (
    "cancelling needs credentials: set metrics.bearer_token or metrics.basic_auth_* "
    "(SIGNALPOST_METRICS_BEARER_TOKEN ...), or jobs.control_from_loopback for local clients"
)

Answer = tuple[int, dict[str, Any], list[tuple[str, str]]]
"""The status code, the JSON body and the extra headers of an answer."""


class RequestAuth(Protocol):
    """Decides whether a request may use the endpoints.

    The metrics endpoint's authenticators (``BearerAuth``, ``BasicAuth`` from
    :mod:`signalpost.serving.metrics.auth`) fit; implementations must not raise.
    """

    @property
    def challenge(self) -> str:
        """The ``WWW-Authenticate`` value sent with a 401 response."""
        ...

    def authenticate(self, authorization: str | None) -> bool:
        """Return whether the ``Authorization`` header value grants access."""
        ...


class FinishedRun(Protocol):
    """A finished run in its wire form (``signalpost.lookup.Run``)."""

    def to_json(self) -> dict[str, Any]: ...


class FinishedRuns(Protocol):
    """Where finished runs are kept, e.g. the trace and log store
    (``signalpost.lookup.localstore.LocalStore``); read in a thread."""

    def run(self, job_id: str) -> FinishedRun | None: ...


class JobsAnswers:
    """The answers of the running-jobs endpoints over one :class:`RunSource` (arguments: see
    :class:`~signalpost.serving.jobs.endpoint.JobsEndpoint`)."""

    __slots__ = ("_auth", "_backlog", "_clock", "_finished", "_loopback_control", "_running",
                 "_scrubber")

    def __init__(
        self,
        running: RunSource | None = None,
        *,
        auth: RequestAuth | None = None,
        scrubber: Scrubber | None = None,
        finished: FinishedRuns | None = None,
        control_from_loopback: bool = False,
        backlog: BacklogSource | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._running = running if running is not None else default_running_jobs
        self._finished = finished
        self._backlog = backlog
        self._clock = clock
        self._auth = auth
        self._loopback_control = control_from_loopback
        self._scrubber = scrubber

    @property
    def may_block(self) -> bool:
        """Whether answering may wait on something else (a queue's workers, the store, the
        broker): then it runs in a thread."""
        local = self._finished is None and self._backlog is None
        return not (isinstance(self._running, RunningJobs) and local)

    def answer(
        self, method: str, path: str, query: str, authorization: str | None, client: str | None
    ) -> Answer:
        """Answer ``method`` on ``path`` (below the mount point, percent-encoded)."""
        auth = self._auth
        if auth is not None and not auth.authenticate(authorization):
            return 401, {"error": "unauthorized"}, [("www-authenticate", auth.challenge)]
        trimmed = path.removeprefix("/").removesuffix("/")
        segments = [unquote(s, errors="replace") for s in trimmed.split("/")] if trimmed else []
        reading = method in ("GET", "HEAD")
        if not segments:
            if not reading:
                return _not_allowed("GET, HEAD")
            try:
                return 200, self._list(parse_list_query(query)), []
            except BadRequest as problem:
                return 400, {"error": str(problem)}, []
        if len(segments) == 1:
            if not reading:
                return _not_allowed("GET, HEAD")
            return self._detail(segments[0])
        if len(segments) == 2 and segments[1] == "cancel":
            if method != "POST":
                return _not_allowed("POST")
            if auth is None and not (self._loopback_control and is_loopback(client)):
                return 403, {"error": CONTROL_REFUSED}, []
            return self._cancel(segments[0])
        return 404, {"error": "not found"}, []

    def _list(self, query: ListQuery) -> dict[str, Any]:
        jobs = sorted(self._running.snapshot(query.job_type), key=sort_key)
        after = query.after
        remaining = [job for job in jobs if sort_key(job) > after] if after is not None else jobs
        page = remaining[: query.limit]
        more = len(remaining) > len(page)
        return {
            "count": len(jobs),
            "runs": [self._run(job) for job in page],
            "next_cursor": encode_cursor(page[-1]) if more else None,
            "waiting": self._waiting(query.job_type),
        }

    def _waiting(self, job_type: str | None) -> list[dict[str, Any]] | None:
        if self._backlog is None:
            return None
        try:
            rows = combine(self._backlog())
        except Exception as failure:
            note_failure("jobs endpoint backlog", failure)
            return None
        now = self._clock()
        return [
            row.to_json(now)
            for row in sorted(rows, key=lambda r: (r.job_type, r.queue))
            if job_type is None or row.job_type == job_type
        ]

    def _detail(self, job_id: str) -> Answer:
        matches = sorted(self._running.find(job_id), key=sort_key)
        if not matches:
            finished = self._finished.run(job_id) if self._finished is not None else None
            if finished is not None:
                return 200, {"finished_run": finished.to_json(), "runs_with_this_id": 0}, []
            return 404, {"error": "no running job with this ID"}, []
        job = matches[0]
        run = self._run(job, attempts=True)
        return 200, {"run": run, "runs_with_this_id": len(matches)}, []

    def _cancel(self, job_id: str) -> Answer:
        cancelled = self._running.cancel(job_id, reason=CANCEL_REASON)
        if not cancelled:
            return 404, {"error": "no running job with this ID"}, []
        return 202, {"job_id": job_id, "cancelled": cancelled}, []

    def _run(self, job: RunningJob, *, attempts: bool = False) -> dict[str, Any]:
        scrubber = self._scrubber or runtime.current().scrubber
        return to_json(scrubbed(job, scrubber), attempts=attempts)


def _not_allowed(allow: str) -> Answer:
    return 405, {"error": "method not allowed"}, [("allow", allow)]
