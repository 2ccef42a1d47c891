"""The HTTP middleware's settings, one object (the keywords it took before are deprecated)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from signalpost.http.requestid import DEFAULT_HEADER
from signalpost.runtime import deprecated_collaborators

__all__ = ["DEFAULT_EXCLUDED_PATHS", "HttpOptions", "http_options"]

DEFAULT_EXCLUDED_PATHS: tuple[str, ...] = ("/metrics", "/health", "/health/*")


@dataclass(frozen=True)
class HttpOptions:
    """What :class:`~signalpost.http.middleware.SignalpostMiddleware` records and how.

    Attributes:
        tracing: ``False`` skips spans and context propagation entirely.
        recommended_attributes: ``True`` adds the HTTP conventions' recommended server-span
            attributes (protocol version, server address and port, client address, user
            agent) to the required ones.
        request_id_header: Header read for a client request ID and returned in responses.
        trust_request_id: ``False`` ignores client IDs and always generates one.
        excluded_paths: Exact paths or glob patterns that are passed through untouched.
        duration_buckets: Histogram buckets in seconds (default: OpenTelemetry's advice).
        max_routes: Distinct route label values kept before the rest become ``_other``.
        max_error_types: Distinct exception types kept in the ``error_type`` label before the
            rest become ``_OTHER``.
    """

    tracing: bool = True
    recommended_attributes: bool = False
    request_id_header: str = DEFAULT_HEADER
    trust_request_id: bool = True
    excluded_paths: Sequence[str] = DEFAULT_EXCLUDED_PATHS
    duration_buckets: Sequence[float] | None = None
    max_routes: int = 500
    max_error_types: int = 100


_FIELDS = tuple(field.name for field in dataclasses.fields(HttpOptions))
_RUNTIME = "runtime=Runtime(...)"
_ACCEPTED: dict[str, str] = {
    **{name: "options=HttpOptions(...)" for name in _FIELDS},
    **{name: _RUNTIME for name in ("registry", "tracer_provider", "scrubber", "clock")},
    "error_reporter": _RUNTIME,
}


def http_options(
    options: HttpOptions | None, deprecated: Mapping[str, Any]
) -> tuple[HttpOptions, dict[str, Any]]:
    """Resolve the middleware's settings: the keywords it took before ``options=`` over
    ``options``; one warning names what replaces each.

    Returns:
        The settings, and the deprecated collaborators given (``registry``,
        ``tracer_provider``, ``scrubber``, ``clock``, ``error_reporter``).

    Raises:
        TypeError: A keyword the middleware never accepted.
    """
    found = deprecated_collaborators(
        "SignalpostMiddleware", deprecated, _ACCEPTED, depth=2, instead=_ACCEPTED
    )
    changes = {name: found.pop(name) for name in _FIELDS if name in found}
    resolved = options or HttpOptions()
    return (dataclasses.replace(resolved, **changes) if changes else resolved), found
