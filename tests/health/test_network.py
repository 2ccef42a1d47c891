"""HTTP and TCP dependency checks against small servers on loopback."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from signalpost import runtime
from signalpost.health import CheckSettings, HttpCheck, Status, TcpCheck
from signalpost.runtime import Runtime
from tests.fake_clock import FakeClock

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Handler], Awaitable[int]]]:
    """Start asyncio servers on free loopback ports; returns the port."""
    servers: list[asyncio.Server] = []

    async def start(handler: Handler) -> int:
        server = await asyncio.start_server(handler, "127.0.0.1", 0)
        servers.append(server)
        port: int = server.sockets[0].getsockname()[1]
        return port

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


def http_handler(status: str, delay: float = 0.0, seen: list[bytes] | None = None) -> Handler:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        if seen is not None:
            seen.append(request)
        await asyncio.sleep(delay)
        writer.write(f"HTTP/1.1 {status}\r\nContent-Length: 2\r\n\r\nok".encode())
        await writer.drain()
        writer.close()

    return handle


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_http_ok_sends_a_proper_request(serve: Callable[[Handler], Awaitable[int]]) -> None:
    seen: list[bytes] = []
    port = await serve(http_handler("204 No Content", seen=seen))
    check = HttpCheck(
        f"http://user:pw@127.0.0.1:{port}/status?deep=1",
        settings=CheckSettings(name="api"),
        headers={"X-Api-Key": "secret"},
    )
    result = await check.run()
    assert result.status is Status.HEALTHY, result.error
    assert result.details["status_code"] == 204
    assert result.details["url"] == f"http://127.0.0.1:{port}/status"  # no credentials
    request = seen[0].decode()
    assert request.startswith("GET /status?deep=1 HTTP/1.1\r\n")
    assert f"Host: 127.0.0.1:{port}\r\n" in request and "X-Api-Key: secret\r\n" in request


async def test_http_bad_status_and_slow(serve: Callable[[Handler], Awaitable[int]]) -> None:
    failing = await serve(http_handler("503 Service Unavailable"))
    result = await HttpCheck(
        f"http://127.0.0.1:{failing}/",
        settings=CheckSettings(name="api"),
    ).run()
    assert result.status is Status.UNHEALTHY
    assert result.error == "unexpected HTTP status 503"

    slow = await serve(http_handler("200 OK", delay=0.2))
    result = await HttpCheck(
        f"http://127.0.0.1:{slow}/",
        settings=CheckSettings(name="api", degraded_after=0.1),
    ).run()
    assert result.status is Status.DEGRADED
    assert (result.error or "").startswith("slow: ")


async def test_http_refused_raises_for_the_monitor() -> None:
    with pytest.raises(httpx.ConnectError):
        await HttpCheck(
            f"http://127.0.0.1:{closed_port()}/",
            settings=CheckSettings(name="api"),
        ).run()
    with pytest.raises(ValueError, match="expected an http"):
        HttpCheck("ftp://example.invalid/", settings=CheckSettings(name="bad"))


async def test_http_not_http_and_timeout_raise_for_the_monitor(
    serve: Callable[[Handler], Awaitable[int]],
) -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")
        await writer.drain()
        writer.close()

    silent = asyncio.Event()

    async def never(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await silent.wait()  # answers nothing until the test ends
        writer.close()

    with pytest.raises(httpx.RemoteProtocolError):
        await HttpCheck(
            f"http://127.0.0.1:{await serve(garbage)}/",
            settings=CheckSettings(name="api"),
        ).run()
    port = await serve(never)
    try:
        with pytest.raises(httpx.TimeoutException):
            await HttpCheck(
                f"http://127.0.0.1:{port}/",
                settings=CheckSettings(name="api", timeout=0.2),
            ).run()
    finally:
        silent.set()


async def test_http_credentials_in_the_url_are_neither_sent_nor_shown(
    serve: Callable[[Handler], Awaitable[int]],
) -> None:
    seen: list[bytes] = []
    port = await serve(http_handler("200 OK", seen=seen))
    result = await HttpCheck(
        f"http://user:pw@127.0.0.1:{port}/",
        settings=CheckSettings(name="api"),
    ).run()
    assert result.status is Status.HEALTHY
    assert b"authorization" not in seen[0].lower()
    assert "pw" not in str(result.details)


async def test_tcp_smtp_banner(serve: Callable[[Handler], Awaitable[int]]) -> None:
    async def smtp(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 mail.test ESMTP ready\r\n")
        await writer.drain()
        writer.close()

    async def wrong(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"554 go away\r\n")
        await writer.drain()
        writer.close()

    ok = await TcpCheck(
        "127.0.0.1",
        await serve(smtp),
        settings=CheckSettings(name="smtp"),
        expect_banner=b"220",
    ).run()
    assert ok.status is Status.HEALTHY
    assert ok.details["banner"] == "220 mail.test ESMTP ready"
    bad = await TcpCheck(
        "127.0.0.1",
        await serve(wrong),
        settings=CheckSettings(name="smtp"),
        expect_banner=b"220",
    ).run()
    assert bad.status is Status.UNHEALTHY
    assert bad.error == "unexpected greeting, expected b'220'"
    with pytest.raises(ConnectionRefusedError):
        await TcpCheck("127.0.0.1", closed_port(), settings=CheckSettings(name="smtp")).run()


async def test_latency_is_read_from_the_injected_clock(
    serve: Callable[[Handler], Awaitable[int]],
) -> None:
    class Slow(FakeClock):
        """Every reading is 2 s later than the one before."""

        def monotonic(self) -> float:
            self.advance(2.0)
            return super().monotonic()

    async def banner(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 ready\r\n")
        await writer.drain()
        writer.close()

    port = await serve(banner)
    check = TcpCheck(
        "127.0.0.1",
        port,
        settings=CheckSettings(name="smtp"),
        expect_banner=b"220",
        runtime=Runtime(clock=Slow()),
    )
    result = await check.run()
    assert result.status is Status.DEGRADED
    assert result.details["latency_seconds"] == 2.0


async def test_a_check_made_before_set_up_reads_set_up_s_clock(
    serve: Callable[[Handler], Awaitable[int]],
) -> None:
    class Slow(FakeClock):
        def monotonic(self) -> float:
            self.advance(2.0)
            return super().monotonic()

    async def banner(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 ready\r\n")
        await writer.drain()
        writer.close()

    port = await serve(banner)
    early = TcpCheck(
        "127.0.0.1",
        port,
        settings=CheckSettings(name="smtp"),
        expect_banner=b"220",
    )  # before setup()
    own = TcpCheck(
        "127.0.0.1",
        port,
        settings=CheckSettings(name="own"),
        runtime=Runtime(clock=Slow()),
    )
    undo = runtime.install(Runtime(clock=Slow()))
    try:
        result = await early.run()
    finally:
        undo()
    assert result.details["latency_seconds"] == 2.0
    assert (await own.run()).details["latency_seconds"] == 2.0
