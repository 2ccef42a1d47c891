"""The ASGI metrics endpoint: negotiation, gzip, auth, filtering, methods, mounting."""

from __future__ import annotations

import base64
import gzip
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.parser import text_string_to_metric_families

from signalpost.serving.metrics import (
    BasicAuth,
    BearerAuth,
    MetricsApp,
    metrics_app,
    mount_metrics,
)
from signalpost.serving.metrics.exposition import (
    CONTENT_TYPE_OPENMETRICS,
    CONTENT_TYPE_TEXT,
    MetricsRenderer,
    choose_format,
    gzip_accepted,
)

OPENMETRICS_ACCEPT = "application/openmetrics-text; version=1.0.0; charset=utf-8"
# What Prometheus 2.x/3.x sends by default (OpenMetrics preferred, text as a fall-back).
PROMETHEUS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;"
    "version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,"
    "text/plain;version=0.0.4;q=0.2,*/*;q=0.1"
)


class Result:
    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.status = status
        self.raw_headers = headers
        self.headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in headers}
        self.body = body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


Call = Callable[..., Awaitable[Result]]


@pytest.fixture
def call() -> Call:
    """Call an ASGI app with one HTTP request and collect what it sent."""

    async def call(
        app: MetricsApp,
        method: str = "GET",
        *,
        query: str = "",
        headers: list[tuple[bytes, bytes]] | None = None,
    ) -> Result:
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": "/metrics",
            "raw_path": b"/metrics",
            "root_path": "",
            "query_string": query.encode("latin-1"),
            "headers": headers or [],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }
        sent: list[dict[str, Any]] = []

        async def receive() -> MutableMapping[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: MutableMapping[str, Any]) -> None:
            sent.append(dict(message))

        await app(scope, receive, send)
        assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
        return Result(sent[0]["status"], sent[0]["headers"], sent[1]["body"])

    return call


def with_traffic(registry: CollectorRegistry) -> tuple[Counter, Histogram]:
    jobs = Counter("jobs", "Jobs run.", ["queue"], registry=registry)
    latency = Histogram("latency_seconds", "Latency.", buckets=(0.1, 1.0), registry=registry)
    jobs.labels("default").inc(3, exemplar={"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"})
    latency.observe(0.05, exemplar={"trace_id": "00f067aa0ba902b7"})
    return jobs, latency


def samples(text: str, name: str) -> list[float]:
    return [
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    ]


# Negotiation


async def test_default_is_text_format_without_exemplars(call: Call) -> None:
    registry = CollectorRegistry()
    with_traffic(registry)
    result = await call(metrics_app(registry))
    assert result.status == 200
    assert result.headers["content-type"] == CONTENT_TYPE_TEXT
    assert samples(result.text, "jobs_total") == [3.0]
    assert "trace_id" not in result.text
    assert "# EOF" not in result.text


@pytest.mark.parametrize(
    "accept",
    [
        OPENMETRICS_ACCEPT,
        "application/openmetrics-text",
        PROMETHEUS_ACCEPT,
        "text/html, application/openmetrics-text;version=1.0.0",
        "APPLICATION/OPENMETRICS-TEXT; Version=1.0.0",
    ],
)
async def test_openmetrics_when_accepted_carries_exemplars(call: Call, accept: str) -> None:
    registry = CollectorRegistry()
    with_traffic(registry)
    result = await call(metrics_app(registry), headers=[(b"accept", accept.encode())])
    assert result.status == 200
    assert result.headers["content-type"] == CONTENT_TYPE_OPENMETRICS
    assert result.text.endswith("# EOF\n")
    assert (
        'jobs_total{queue="default"} 3.0 # {trace_id="4bf92f3577b34da6a3ce929d0e0e4736"} 3.0'
        in (result.text)
    )
    assert '# {trace_id="00f067aa0ba902b7"} 0.05' in result.text


@pytest.mark.parametrize(
    "accept",
    [
        "text/plain",
        "text/plain;version=0.0.4",
        "*/*",
        "application/json",
        # Preference order is the q value, not the position.
        "application/openmetrics-text;q=0.2, text/plain;q=0.9",
        "application/openmetrics-text;q=0",
        # Only OpenMetrics 1.0.0 is offered; other versions fall back to text.
        "application/openmetrics-text;version=0.0.1",
        "application/openmetrics-text;version=2.0.0",
        "application/openmetrics-text;version=1.0.0abc",
        "application/openmetrics-text;q=banana",
        "application/openmetrics-text;q=nan",
        ";;;,,,=",
        "",
    ],
)
def test_text_format_otherwise(accept: str) -> None:
    assert choose_format(accept)[1] == CONTENT_TYPE_TEXT


async def test_several_accept_headers_are_combined(call: Call) -> None:
    registry = CollectorRegistry()
    with_traffic(registry)
    headers = [(b"accept", b"text/html;q=0.9"), (b"accept", OPENMETRICS_ACCEPT.encode())]
    result = await call(metrics_app(registry), headers=headers)
    assert result.headers["content-type"] == CONTENT_TYPE_OPENMETRICS


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_accept_header_picks_a_format(accept: str) -> None:
    assert choose_format(accept)[1] in (CONTENT_TYPE_TEXT, CONTENT_TYPE_OPENMETRICS)
    assert gzip_accepted(accept) in (True, False)


# gzip


async def test_gzip_when_accepted(call: Call) -> None:
    registry = CollectorRegistry()
    with_traffic(registry)
    result = await call(metrics_app(registry), headers=[(b"accept-encoding", b"br, gzip")])
    assert result.headers["content-encoding"] == "gzip"
    assert int(result.headers["content-length"]) == len(result.body)
    assert samples(gzip.decompress(result.body).decode(), "jobs_total") == [3.0]
    assert "Accept-Encoding" in result.headers["vary"]


@pytest.mark.parametrize("accept_encoding", [None, b"identity", b"gzip;q=0", b"br", b"gzip;q=x"])
async def test_no_gzip_unless_accepted(call: Call, accept_encoding: bytes | None) -> None:
    registry = CollectorRegistry()
    with_traffic(registry)
    headers = [] if accept_encoding is None else [(b"accept-encoding", accept_encoding)]
    result = await call(metrics_app(registry), headers=headers)
    assert "content-encoding" not in result.headers
    assert samples(result.text, "jobs_total") == [3.0]


async def test_gzip_can_be_disabled(call: Call) -> None:
    registry = CollectorRegistry()
    with_traffic(registry)
    app = metrics_app(registry, compression=False)
    result = await call(app, headers=[(b"accept-encoding", b"gzip")])
    assert "content-encoding" not in result.headers
    assert samples(result.text, "jobs_total") == [3.0]


async def test_gzip_with_openmetrics(call: Call) -> None:
    registry = CollectorRegistry()
    with_traffic(registry)
    headers = [(b"accept", OPENMETRICS_ACCEPT.encode()), (b"accept-encoding", b"gzip")]
    result = await call(metrics_app(registry), headers=headers)
    assert result.headers["content-type"] == CONTENT_TYPE_OPENMETRICS
    assert gzip.decompress(result.body).endswith(b"# EOF\n")


# name[] filtering


async def test_name_filter(call: Call) -> None:
    registry = CollectorRegistry()
    with_traffic(registry)
    result = await call(metrics_app(registry), query="name[]=jobs_total")
    assert samples(result.text, "jobs_total") == [3.0]
    assert "latency_seconds" not in result.text


async def test_name_filter_several_and_unknown(call: Call) -> None:
    registry = CollectorRegistry()
    with_traffic(registry)
    app = metrics_app(registry)
    both = await call(app, query="name[]=jobs_total&name[]=latency_seconds_count")
    assert samples(both.text, "jobs_total") == [3.0]
    assert samples(both.text, "latency_seconds_count") == [1.0]
    assert "latency_seconds_bucket" not in both.text
    none = await call(app, query="name[]=nope")
    assert none.status == 200
    assert none.body == b""


async def test_other_query_parameters_are_ignored(call: Call) -> None:
    registry = CollectorRegistry()
    with_traffic(registry)
    result = await call(metrics_app(registry), query="x=%ff%zz&name=jobs_total")
    assert result.status == 200
    assert "latency_seconds" in result.text


# Methods


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS", "PATCH", "BREW"])
async def test_only_get_and_head(call: Call, method: str) -> None:
    result = await call(metrics_app(CollectorRegistry()), method)
    assert result.status == 405
    assert result.headers["allow"] == "GET, HEAD"


async def test_head_has_headers_and_no_body(call: Call) -> None:
    registry = CollectorRegistry()
    with_traffic(registry)
    app = metrics_app(registry)
    get = await call(app, "GET")
    head = await call(app, "HEAD")
    assert head.status == 200
    assert head.body == b""
    assert head.headers["content-length"] == get.headers["content-length"]
    assert head.headers["content-type"] == CONTENT_TYPE_TEXT


# Auth


def basic(username: str, password: str) -> bytes:
    return b"Basic " + base64.b64encode(f"{username}:{password}".encode())


async def test_bearer_auth(call: Call) -> None:
    registry = CollectorRegistry()
    with_traffic(registry)
    app = metrics_app(registry, auth=BearerAuth("s3cr3t-token"))

    missing = await call(app)
    assert missing.status == 401
    assert missing.headers["www-authenticate"] == 'Bearer realm="metrics"'
    assert "jobs" not in missing.text

    wrong = await call(app, headers=[(b"authorization", b"Bearer s3cr3t-tokeN")])
    assert wrong.status == 401
    prefix = await call(app, headers=[(b"authorization", b"Bearer s3cr3t")])
    assert prefix.status == 401
    other_scheme = await call(app, headers=[(b"authorization", basic("x", "s3cr3t-token"))])
    assert other_scheme.status == 401

    right = await call(app, headers=[(b"authorization", b"Bearer s3cr3t-token")])
    assert right.status == 200
    assert samples(right.text, "jobs_total") == [3.0]
    # The scheme is case-insensitive (RFC 9110).
    lower = await call(app, headers=[(b"authorization", b"bearer s3cr3t-token")])
    assert lower.status == 200


async def test_basic_auth(call: Call) -> None:
    registry = CollectorRegistry()
    with_traffic(registry)
    app = metrics_app(registry, auth=BasicAuth("prometheus", "pa:ss wörd"))

    missing = await call(app)
    assert missing.status == 401
    assert missing.headers["www-authenticate"] == 'Basic realm="metrics", charset="UTF-8"'

    for header in (
        basic("prometheus", "wrong"),
        basic("Prometheus", "pa:ss wörd"),
        basic("prometheus", "pa:ss wörd "),
        b"Bearer pa:ss w\xc3\xb6rd",
    ):
        assert (await call(app, headers=[(b"authorization", header)])).status == 401

    right = await call(app, headers=[(b"authorization", basic("prometheus", "pa:ss wörd"))])
    assert right.status == 200
    assert samples(right.text, "jobs_total") == [3.0]


async def test_auth_is_checked_on_head(call: Call) -> None:
    app = metrics_app(CollectorRegistry(), auth=BearerAuth("t"))
    assert (await call(app, "HEAD")).status == 401


@pytest.mark.parametrize(
    "header",
    [
        b"",
        b" ",
        b"Bearer",
        b"Bearer ",
        b"Basic",
        b"Basic ",
        b"Basic !!!not-base64!!!",
        b"Basic " + base64.b64encode(b"no-colon"),
        b"Basic " + base64.b64encode(b"\xff\xfe:\x00\x80"),
        b"Basic \xff\xfe",
        b"Bearer \xff\xfe\x00",
        b"\x00\x01\x02",
        b"Digest username=x",
        b"Basic " + b"A" * 100_000,
    ],
)
async def test_malformed_authorization_is_a_401_never_a_500(call: Call, header: bytes) -> None:
    for auth in (BearerAuth("token"), BasicAuth("user", "pass")):
        result = await call(
            metrics_app(CollectorRegistry(), auth=auth), headers=[(b"authorization", header)]
        )
        assert result.status == 401


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.none(), st.text(max_size=200), st.binary(max_size=200).map(lambda b: b.decode("latin-1"))
    )
)
def test_any_authorization_value_is_answered(authorization: str | None) -> None:
    for auth in (BearerAuth("token"), BasicAuth("user", "pass")):
        renderer = MetricsRenderer(CollectorRegistry(), auth=auth)
        assert renderer.render("GET", authorization=authorization).status == 401


def test_secrets_stay_out_of_repr() -> None:
    assert "hunter2" not in repr(BearerAuth("hunter2"))
    assert "hunter2" not in repr(BasicAuth("admin", "hunter2"))
    assert "admin" not in repr(BasicAuth("admin", "hunter2"))


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: BearerAuth(""), "non-empty"),
        (lambda: BearerAuth("has space"), "whitespace"),
        (lambda: BasicAuth("a:b", "pw"), "':'"),
        (lambda: BasicAuth("", "pw"), "non-empty"),
        (lambda: BasicAuth("user", ""), "non-empty"),
    ],
)
def test_bad_auth_settings_are_refused(factory: Callable[[], Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        factory()


# Mounting and non-HTTP scopes


def make_app(registry: CollectorRegistry, **options: Any) -> FastAPI:
    app = FastAPI()

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    mount_metrics(app, "/internal/metrics", registry, **options)
    return app


async def test_mounted_on_fastapi_at_exact_path() -> None:
    registry = CollectorRegistry()
    with_traffic(registry)
    app = make_app(registry, auth=BearerAuth("tok"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/hello")).status_code == 200
        assert (await client.get("/internal/metrics")).status_code == 401
        ok = await client.get(
            "/internal/metrics",
            headers={"Authorization": "Bearer tok", "Accept": OPENMETRICS_ACCEPT},
        )
        assert ok.status_code == 200
        assert ok.headers["content-type"] == CONTENT_TYPE_OPENMETRICS
        assert ok.text.endswith("# EOF\n")
        # The route answers POST itself: 405 from the endpoint, not from the router.
        post = await client.post("/internal/metrics", headers={"Authorization": "Bearer tok"})
        assert post.status_code == 405
        assert post.headers["allow"] == "GET, HEAD"
        schema = (await client.get("/openapi.json")).json()
        assert "/internal/metrics" not in schema["paths"]


async def test_app_mount_works_too() -> None:
    registry = CollectorRegistry()
    with_traffic(registry)
    app = FastAPI()
    app.mount("/metrics", metrics_app(registry))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/metrics/")
        assert response.status_code == 200
        assert samples(response.text, "jobs_total") == [3.0]


def test_mount_path_must_be_absolute() -> None:
    with pytest.raises(ValueError, match="must start with '/'"):
        mount_metrics(FastAPI(), "metrics", CollectorRegistry())


async def test_lifespan_and_websocket_scopes() -> None:
    app = metrics_app(CollectorRegistry())
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> MutableMapping[str, Any]:
        return incoming.pop(0)

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    await app({"type": "lifespan"}, receive, send)
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]

    sent.clear()
    await app({"type": "websocket", "path": "/metrics", "headers": []}, receive, send)
    assert sent == [{"type": "websocket.close", "code": 1008}]


async def test_collector_failure_propagates(call: Call) -> None:
    class Broken:
        def collect(self) -> Any:
            raise RuntimeError("collector bug")

    registry = CollectorRegistry()
    registry.register(Broken())
    with pytest.raises(RuntimeError, match="collector bug"):
        await call(metrics_app(registry))
