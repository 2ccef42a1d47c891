"""HTTP server metrics, named after OpenTelemetry's HTTP semantic conventions."""

from __future__ import annotations

from signalpost.semconv import attributes as attr
from signalpost.semconv._spec import MetricSpec

__all__ = [
    "ACTIVE_REQUESTS",
    "DEFAULT_DURATION_BUCKETS",
    "KNOWN_SCHEMES",
    "NO_ERROR",
    "OTHER_METHOD",
    "OTHER_SCHEME",
    "REQUEST_DURATION",
    "UNMATCHED_ROUTE",
]

# The explicit bucket boundaries OpenTelemetry advises for http.server.request.duration.
DEFAULT_DURATION_BUCKETS: tuple[float, ...] = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.25,
    0.5,
    0.75,
    1.0,
    2.5,
    5.0,
    7.5,
    10.0,
)

# Label value shared by every request that matched no route (404s, scanners, typos).
UNMATCHED_ROUTE = "_unmatched"
# Label value for any method outside the known set, as the HTTP semantic conventions ask.
OTHER_METHOD = "_OTHER"
# url.scheme values kept as they are; anything else (a forged X-Forwarded-Proto) is _OTHER.
KNOWN_SCHEMES = frozenset({"http", "https"})
OTHER_SCHEME = "_OTHER"
# error.type of a request that did not fail: Prometheus treats an empty label as absent.
NO_ERROR = ""

REQUEST_DURATION = MetricSpec(
    name="http_server_request_duration_seconds",
    kind="histogram",
    unit="seconds",
    help="Duration of HTTP server requests.",
    # error.type: the fully-qualified type of an exception that escaped the app, else the
    # status code for 5xx answers, else empty (absent), as the HTTP conventions ask.
    attributes=(
        attr.HTTP_REQUEST_METHOD,
        attr.HTTP_ROUTE,
        attr.HTTP_RESPONSE_STATUS_CODE,
        attr.ERROR_TYPE,
        attr.URL_SCHEME,
    ),
    otel_name="http.server.request.duration",
    otel_unit="s",
    buckets=DEFAULT_DURATION_BUCKETS,
)

ACTIVE_REQUESTS = MetricSpec(
    name="http_server_active_requests",
    kind="gauge",
    unit="",
    help="Number of HTTP server requests in flight.",
    attributes=(attr.HTTP_REQUEST_METHOD,),
    otel_name="http.server.active_requests",
    otel_unit="{request}",
    multiprocess_mode="livesum",
)
