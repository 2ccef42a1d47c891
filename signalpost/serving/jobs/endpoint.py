"""The running-jobs endpoints: list the runs in progress, show one, cancel one.

A small pure-ASGI app (also served to WSGI servers, such as a job worker's metrics port,
through :meth:`JobsEndpoint.wsgi`) that only reads :class:`RunningJobs` snapshots. Below its
mount point (``/jobs`` when :func:`signalpost.setup` serves it):

=============================  =================================================================
``GET /jobs``                  The runs in progress, oldest first; ``limit``, ``cursor``, ``type``.
``GET /jobs/{id}``             One run, with its attempts so far; 404 when none runs with the ID
                               (a finished run instead, when a :class:`FinishedRuns` is given).
``POST /jobs/{id}/cancel``     Ask every run with the ID to stop (202); 404 when none runs;
                               403 without credentials configured (see below).
=============================  =================================================================

With a backlog source (``JobsEndpoint(backlog=...)``, ``setup(jobs_backlog=...)``) the list
also says what waits behind the running runs: ``waiting``, one entry per job type and queue
(count, age of the oldest), ``null`` without a source or when it cannot be read.

``HEAD`` is answered like ``GET`` without a body; other methods get 405 with ``Allow``, other
paths 404, bad query parameters 400, missing credentials 401 (the same authenticators as the
metrics endpoint). Reading is open when no credentials are configured, as ``/metrics`` is;
changing state (cancel) is not: without credentials it is refused with 403 unless
``control_from_loopback`` allows clients on the loopback interface.

Every answer is JSON and names the process that made it: by default each process only knows
its own runs (see ``docs/jobs.md``, "Running-jobs endpoints"); a :class:`RunSource` such as
``signalpost.celery.running_jobs(app)`` serves a queue's runs across its workers. Progress
messages are scrubbed; parameters and context are never served.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any, Protocol
from urllib.parse import quote, unquote

from signalpost import runtime
from signalpost.asgitypes import Receive, Scope, Send, acknowledge_lifespan
from signalpost.errors.scrub import Scrubber
from signalpost.failsafe import note_failure
from signalpost.jobs.backlog import BacklogSource, combine
from signalpost.jobs.running import (
    RunningJob,
    RunningJobs,
    RunSource,
    RunSourceUnavailable,
    default_running_jobs,
)
from signalpost.jobs.wire import scrubbed, to_json
from signalpost.serving.jobs.mounting import MountPoint, below_mount, is_loopback
from signalpost.serving.jobs.paging import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    BadRequest,
    ListQuery,
    encode_cursor,
    parse_list_query,
    sort_key,
)

__all__ = [
    "DEFAULT_LIMIT", "MAX_LIMIT", "FinishedRuns", "JobsEndpoint", "RequestAuth", "mount_jobs",
]

CANCEL_REASON = "cancelled through the jobs endpoint"
CONTROL_REFUSED = (
    "cancelling needs credentials: set metrics.bearer_token or metrics.basic_auth_* "
    "(SIGNALPOST_METRICS_BEARER_TOKEN ...), or jobs.control_from_loopback for local clients"
)

Response = tuple[int, list[tuple[str, str]], bytes]
StartResponse = Callable[..., Any]


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


class JobsEndpoint:
    """ASGI app serving the running-jobs endpoints of one :class:`RunSource`.

    Args:
        running: The runs to serve: the process-wide :class:`RunningJobs` list by default, or
            a queue's runs across its workers (``signalpost.celery.running_jobs(app)``), read
            in a thread so that the event loop does not wait for the workers' replies.
        auth: Required credentials (``BearerAuth``, ``BasicAuth`` or any
            :class:`RequestAuth`); ``None`` serves everyone. :func:`signalpost.setup` passes
            the metrics endpoint's.
        scrubber: Scrubs progress messages; the shared default (what ``setup()`` installed)
            when ``None``, looked up per request.
        finished: Answers ``GET /jobs/{id}`` for a run that no longer runs (``finished_run``
            in the body, from the store's wire form); ``None``: 404.
        control_from_loopback: Without ``auth``, still accept requests that change state
            (cancel) from clients on the loopback interface; others get 403. With ``auth``,
            they need its credentials like every request.
        backlog: What waits in the queue (``signalpost.celery.backlog(app)``,
            ``signalpost.arq.backlog(url)`` or your own query), served beside the runs.
        clock: Wall-clock time, for the ages of waiting jobs.
    """

    __slots__ = (
        "_auth",
        "_backlog",
        "_clock",
        "_finished",
        "_hostname",
        "_loopback_control",
        "_running",
        "_scrubber",
    )

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
        try:
            self._hostname = socket.gethostname()
        except OSError:
            self._hostname = ""

    # ----------------------------------------------------------------- servers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection."""
        kind = scope["type"]
        if kind == "lifespan":
            await acknowledge_lifespan(receive, send)
            return
        if kind != "http":
            if kind == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            return
        authorization: str | None = None
        for name, value in scope.get("headers", ()):
            if name.lower() == b"authorization":
                authorization = value.decode("latin-1")
                break
        client = scope.get("client")
        request = (
            str(scope.get("method", "GET")),
            below_mount(scope),
            bytes(scope.get("query_string", b"")).decode("latin-1"),
            authorization,
            str(client[0]) if client else None,
        )
        # Anything that may block (a queue's workers, the store, the broker) runs in a thread.
        local = self._finished is None and self._backlog is None
        if isinstance(self._running, RunningJobs) and local:
            status, headers, body = self.respond(*request)
        else:
            status, headers, body = await asyncio.to_thread(self.respond, *request)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def wsgi(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Serve a WSGI request whose ``PATH_INFO`` is the path below the mount point."""
        # WSGI servers hand PATH_INFO over decoded as latin-1: encode it again per byte.
        path = quote(str(environ.get("PATH_INFO", "")).encode("latin-1", "replace"), safe="/")
        status, headers, body = self.respond(
            str(environ.get("REQUEST_METHOD", "GET")),
            path,
            str(environ.get("QUERY_STRING", "")),
            environ.get("HTTP_AUTHORIZATION"),
            environ.get("REMOTE_ADDR"),
        )
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [body]

    # ----------------------------------------------------------------- answers

    def respond(
        self,
        method: str,
        path: str,
        query: str = "",
        authorization: str | None = None,
        client: str | None = None,
    ) -> Response:
        """Answer ``method`` on ``path`` (below the mount point, percent-encoded) for the client
        at address ``client`` (``None`` when unknown: not loopback).

        Returns:
            The status code, the headers and the JSON body (empty for ``HEAD``). Hostile
            input gives a 4xx, never an exception.
        """
        try:
            status, body, extra = self._answer(method, path, query, authorization, client)
        except RunSourceUnavailable as unavailable:
            status, body, extra = 503, {"error": str(unavailable)}, [("retry-after", "5")]
        except Exception as failure:
            note_failure("jobs endpoint", failure)
            status, body, extra = 500, {"error": "internal error"}, []
        body["process"] = {"pid": os.getpid(), "hostname": self._hostname}
        payload = json.dumps(body, separators=(",", ":"), default=str).encode()
        headers = [
            ("content-type", "application/json"),
            ("cache-control", "no-store"),
            ("content-length", str(len(payload))),
            *extra,
        ]
        return status, headers, b"" if method == "HEAD" else payload

    def _answer(
        self, method: str, path: str, query: str, authorization: str | None, client: str | None
    ) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
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

    def _detail(self, job_id: str) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        matches = sorted(self._running.find(job_id), key=sort_key)
        if not matches:
            finished = self._finished.run(job_id) if self._finished is not None else None
            if finished is not None:
                return 200, {"finished_run": finished.to_json(), "runs_with_this_id": 0}, []
            return 404, {"error": "no running job with this ID"}, []
        job = matches[0]
        run = self._run(job, attempts=True)
        return 200, {"run": run, "runs_with_this_id": len(matches)}, []

    def _cancel(self, job_id: str) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        cancelled = self._running.cancel(job_id, reason=CANCEL_REASON)
        if not cancelled:
            return 404, {"error": "no running job with this ID"}, []
        return 202, {"job_id": job_id, "cancelled": cancelled}, []

    def _run(self, job: RunningJob, *, attempts: bool = False) -> dict[str, Any]:
        scrubber = self._scrubber or runtime.current().scrubber
        return to_json(scrubbed(job, scrubber), attempts=attempts)


def _not_allowed(allow: str) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
    return 405, {"error": "method not allowed"}, [("allow", allow)]


def mount_jobs(app: Any, path: str, endpoint: JobsEndpoint) -> None:
    """Serve ``endpoint`` at ``path`` (and below) on a Starlette or FastAPI ``app``.

    ``path`` itself is answered too: a plain mount would redirect it to ``path/``.
    """
    if not path.startswith("/"):
        raise ValueError(f"jobs path must start with '/', got {path!r}")
    path = path.rstrip("/") or "/"
    app.mount(path, endpoint)
    app.router.add_route(path, MountPoint(endpoint), include_in_schema=False)
