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

With a backlog source (``JobsEndpoint(backlog=...)``, ``setup(jobs=JobSources(backlog=...))``)
the list also says what waits behind the running runs: ``waiting``, one entry per job type and queue
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
from typing import Any
from urllib.parse import quote

from signalpost.asgitypes import Receive, Scope, Send, answer_unless_http
from signalpost.errors.scrub import Scrubber
from signalpost.failsafe import note_failure
from signalpost.jobs.backlog import BacklogSource
from signalpost.jobs.running import RunSource, RunSourceUnavailable
from signalpost.serving.jobs.answers import (
    CONTROL_REFUSED,
    FinishedRuns,
    JobsAnswers,
    RequestAuth,
)
from signalpost.serving.jobs.mounting import MountPoint, below_mount
from signalpost.serving.jobs.paging import DEFAULT_LIMIT, MAX_LIMIT

__all__ = [
    "CONTROL_REFUSED",
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "FinishedRuns",
    "JobsEndpoint",
    "RequestAuth",
    "mount_jobs",
]

Response = tuple[int, list[tuple[str, str]], bytes]
StartResponse = Callable[..., Any]


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

    __slots__ = ("_answers", "_hostname")

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
        self._answers = JobsAnswers(
            running,
            auth=auth,
            scrubber=scrubber,
            finished=finished,
            control_from_loopback=control_from_loopback,
            backlog=backlog,
            clock=clock,
        )
        try:
            self._hostname = socket.gethostname()
        except OSError:
            self._hostname = ""

    # ----------------------------------------------------------------- servers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection."""
        if await answer_unless_http(scope, receive, send):
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
        if self._answers.may_block:
            status, headers, body = await asyncio.to_thread(self.respond, *request)
        else:
            status, headers, body = self.respond(*request)
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
            status, body, extra = self._answers.answer(method, path, query, authorization, client)
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



def mount_jobs(app: Any, path: str, endpoint: JobsEndpoint) -> None:
    """Serve ``endpoint`` at ``path`` (and below) on a Starlette or FastAPI ``app``.

    ``path`` itself is answered too: a plain mount would redirect it to ``path/``.
    """
    if not path.startswith("/"):
        raise ValueError(f"jobs path must start with '/', got {path!r}")
    path = path.rstrip("/") or "/"
    app.mount(path, endpoint)
    app.router.add_route(path, MountPoint(endpoint), include_in_schema=False)
