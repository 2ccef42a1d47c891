"""The metrics endpoint on its own port: serves, authenticates, shuts down, reports busy ports."""

from __future__ import annotations

import socket

import httpx
import pytest
from prometheus_client import CollectorRegistry, Counter

from signalpost.serving.metrics import (
    BasicAuth,
    BearerAuth,
    MetricsServerError,
    start_metrics_server,
)
from signalpost.serving.metrics.exposition import CONTENT_TYPE_OPENMETRICS, CONTENT_TYPE_TEXT


def make_registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    Counter("jobs", "Jobs run.", registry=registry).inc(
        2, exemplar={"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"}
    )
    return registry


def test_serves_negotiates_and_shuts_down() -> None:
    server = start_metrics_server(0, "127.0.0.1", make_registry())
    try:
        assert server.port > 0
        text = httpx.get(server.url)
        assert text.status_code == 200
        assert text.headers["content-type"] == CONTENT_TYPE_TEXT
        assert "jobs_total 2.0\n" in text.text
        assert "trace_id" not in text.text

        om = httpx.get(server.url, headers={"Accept": "application/openmetrics-text"})
        assert om.headers["content-type"] == CONTENT_TYPE_OPENMETRICS
        assert '# {trace_id="4bf92f3577b34da6a3ce929d0e0e4736"} 2.0' in om.text
        assert om.text.endswith("# EOF\n")

        filtered = httpx.get(server.url, params={"name[]": "nothing"})
        assert filtered.status_code == 200
        assert filtered.content == b""

        post = httpx.post(server.url)
        assert post.status_code == 405
        assert post.headers["allow"] == "GET, HEAD"

        identity = {"Accept-Encoding": "identity"}
        head = httpx.head(server.url, headers=identity)
        assert head.status_code == 200
        assert head.content == b""
        get = httpx.get(server.url, headers=identity)
        assert head.headers["content-length"] == get.headers["content-length"]
    finally:
        server.shutdown()
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url, timeout=2)
    server.shutdown()  # a second call is harmless


def test_gzip() -> None:
    with start_metrics_server(0, "127.0.0.1", make_registry()) as server:
        with httpx.stream("GET", server.url, headers={"Accept-Encoding": "gzip"}) as response:
            assert response.headers["content-encoding"] == "gzip"
            raw = b"".join(response.iter_raw())
        assert raw[:2] == b"\x1f\x8b"
        plain = httpx.get(server.url, headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
    with start_metrics_server(0, "127.0.0.1", make_registry(), compression=False) as server:
        response = httpx.get(server.url, headers={"Accept-Encoding": "gzip"})
        assert "content-encoding" not in response.headers


def test_bearer_auth() -> None:
    with start_metrics_server(0, "127.0.0.1", make_registry(), auth=BearerAuth("tok")) as server:
        missing = httpx.get(server.url)
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == 'Bearer realm="metrics"'
        assert httpx.get(server.url, headers={"Authorization": "Bearer nope"}).status_code == 401
        assert httpx.get(server.url, headers={"Authorization": "Basic %%%"}).status_code == 401
        right = httpx.get(server.url, headers={"Authorization": "Bearer tok"})
        assert right.status_code == 200
        assert "jobs_total 2.0" in right.text


def test_basic_auth() -> None:
    auth = BasicAuth("prom", "pw")
    with start_metrics_server(0, "127.0.0.1", make_registry(), auth=auth) as server:
        missing = httpx.get(server.url)
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"].startswith('Basic realm="metrics"')
        assert httpx.get(server.url, auth=("prom", "wrong")).status_code == 401
        assert httpx.get(server.url, auth=("prom", "pw")).status_code == 200


def test_busy_port_is_a_clear_error() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(
            MetricsServerError, match=rf"127\.0\.0\.1:{port}: address already in use"
        ):
            start_metrics_server(port, "127.0.0.1", CollectorRegistry())


def test_unresolvable_address_is_a_clear_error() -> None:
    with pytest.raises(MetricsServerError, match=r"no-such-host\.invalid:0"):
        start_metrics_server(0, "no-such-host.invalid", CollectorRegistry())
