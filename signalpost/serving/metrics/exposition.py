"""The transport-independent core of the metrics endpoint.

One :class:`MetricsRenderer` answers a scrape from the request's method, query string and
headers: method check, authentication, format negotiation (Prometheus text 0.0.4 or
OpenMetrics 1.0.0, the only one that carries exemplars), ``name[]`` filtering and gzip. The
ASGI app and the own-port WSGI server are thin adapters around it.

The bodies are prometheus-client's (``generate_latest``, OpenMetrics ``generate_latest``,
``restricted_registry``). Its ``choose_encoder`` and ``gzip_accepted`` are not used: they
ignore quality values (``application/openmetrics-text;q=0`` would get OpenMetrics, ``gzip;q=0``
gzip) and the client's order of preference; and its gzip level 9 took 44 ms where level 6 takes
31 ms for a 400-series registry (timeit, same machine), for a few percent of size.
"""

from __future__ import annotations

import gzip
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast
from urllib.parse import parse_qs

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.openmetrics import exposition as openmetrics
from prometheus_client.registry import Collector

from signalpost.serving.metrics.auth import Authenticator

__all__ = [
    "CONTENT_TYPE_OPENMETRICS",
    "CONTENT_TYPE_TEXT",
    "Exposition",
    "MetricsRenderer",
    "choose_format",
    "gzip_accepted",
]

CONTENT_TYPE_TEXT = CONTENT_TYPE_PLAIN_0_0_4
CONTENT_TYPE_OPENMETRICS = openmetrics.CONTENT_TYPE_LATEST  # version=1.0.0

Encoder = Callable[[Collector], bytes]

_ALLOW = "GET, HEAD"
_OPENMETRICS_VERSIONS = frozenset({"", "1.0.0", "1.0"})
# Media ranges that the text format satisfies: stop looking for a better match.
_TEXT_RANGES = frozenset({"text/plain", "text/*", "*/*"})
_GZIP_LEVEL = 6  # gzip's own default: most of level 9's ratio for a fraction of the CPU


def _openmetrics(registry: Collector) -> bytes:
    body = openmetrics.generate_latest(  # type: ignore[no-untyped-call]
        registry, escaping=openmetrics.UNDERSCORES, version="1.0.0"
    )
    return cast(bytes, body)


def _text(registry: Collector) -> bytes:
    return generate_latest(registry)


def _parse_list(header: str) -> list[tuple[str, dict[str, str]]]:
    """Split an ``Accept``-style header into (token, params), best quality first.

    Items with ``q=0`` or an unreadable ``q`` are dropped; ties keep the client's order.
    """
    items: list[tuple[float, int, str, dict[str, str]]] = []
    for index, item in enumerate(header.split(",")):
        token, *raw_params = item.split(";")
        token = token.strip().lower()
        if not token:
            continue
        params: dict[str, str] = {}
        for raw in raw_params:
            key, sep, value = raw.partition("=")
            if sep:
                params[key.strip().lower()] = value.strip().strip('"')
        quality = 1.0
        if "q" in params:
            try:
                quality = float(params["q"])
            except ValueError:
                continue
            if not math.isfinite(quality):
                continue
        if quality <= 0:
            continue
        items.append((-quality, index, token, params))
    items.sort(key=lambda entry: (entry[0], entry[1]))
    return [(token, params) for _, _, token, params in items]


def choose_format(accept: str | None) -> tuple[Encoder, str]:
    """Pick the exposition format for an ``Accept`` header value.

    OpenMetrics 1.0.0 when the client prefers ``application/openmetrics-text`` (without a
    version or with version 1.0.0), the Prometheus text format 0.0.4 otherwise. Quality values
    are honoured; malformed input falls back to text rather than failing.

    Returns:
        The encoder (registry to bytes) and the response ``Content-Type``.
    """
    if accept:
        for token, params in _parse_list(accept):
            if token == "application/openmetrics-text":
                if params.get("version", "") in _OPENMETRICS_VERSIONS:
                    return _openmetrics, CONTENT_TYPE_OPENMETRICS
            elif token in _TEXT_RANGES:
                break
    return _text, CONTENT_TYPE_TEXT


def gzip_accepted(accept_encoding: str | None) -> bool:
    """Return whether an ``Accept-Encoding`` value allows gzip (``q=0`` refuses it)."""
    if not accept_encoding:
        return False
    return any(token in ("gzip", "x-gzip") for token, _ in _parse_list(accept_encoding))


@dataclass(frozen=True, slots=True)
class Exposition:
    """One response of the metrics endpoint.

    Attributes:
        status: HTTP status code.
        reason: HTTP reason phrase.
        headers: Response headers, ``Content-Length`` included.
        body: Response body (empty for ``HEAD``, though ``Content-Length`` is the ``GET`` one).
    """

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes


def _plain(status: int, reason: str, message: str, *extra: tuple[str, str]) -> Exposition:
    body = message.encode("utf-8")
    headers = [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(body))),
        *extra,
    ]
    return Exposition(status, reason, headers, body)


class MetricsRenderer:
    """Answers scrapes of one registry.

    Args:
        registry: The registry to expose (see
            :func:`signalpost.serving.metrics.registry.resolve_registry`).
        auth: When given, requests must pass it or get 401 with a ``WWW-Authenticate``
            challenge.
        compression: ``False`` never gzips, even when the client accepts it.
    """

    __slots__ = ("_auth", "_compression", "_registry")

    def __init__(
        self,
        registry: CollectorRegistry,
        *,
        auth: Authenticator | None = None,
        compression: bool = True,
    ) -> None:
        self._registry = registry
        self._auth = auth
        self._compression = compression

    @property
    def registry(self) -> CollectorRegistry:
        """The registry this renderer exposes."""
        return self._registry

    def render(
        self,
        method: str,
        query_string: str = "",
        *,
        accept: str | None = None,
        accept_encoding: str | None = None,
        authorization: str | None = None,
    ) -> Exposition:
        """Build the response to one request.

        Args:
            method: The HTTP method; only ``GET`` and ``HEAD`` are served.
            query_string: The raw query string; ``name[]`` parameters restrict the output to
                those sample names, as prometheus-client's own endpoints do.
            accept: The ``Accept`` header (several joined with ``,``).
            accept_encoding: The ``Accept-Encoding`` header.
            authorization: The ``Authorization`` header.
        """
        if method not in ("GET", "HEAD"):
            return _plain(405, "Method Not Allowed", "Method Not Allowed\n", ("Allow", _ALLOW))
        if self._auth is not None and not self._auth.authenticate(authorization):
            return _plain(
                401, "Unauthorized", "Unauthorized\n", ("WWW-Authenticate", self._auth.challenge)
            )
        encoder, content_type = choose_format(accept)
        source: Collector = self._registry
        names = parse_qs(query_string).get("name[]") if query_string else None
        if names:
            source = self._registry.restricted_registry(names)
        body = encoder(source)
        headers = [("Content-Type", content_type), ("Vary", "Accept, Accept-Encoding")]
        if self._compression and gzip_accepted(accept_encoding):
            body = gzip.compress(body, compresslevel=_GZIP_LEVEL)
            headers.append(("Content-Encoding", "gzip"))
        headers.append(("Content-Length", str(len(body))))
        return Exposition(200, "OK", headers, b"" if method == "HEAD" else body)
