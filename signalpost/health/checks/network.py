"""External dependencies: an HTTP endpoint's status and latency, a TCP service's reachability.

The HTTP check is a request on httpx (one connection per run, body never read); the TCP check
uses asyncio streams.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from signalpost.health.checks.clocked import CheckClock
from signalpost.health.checks.settings import BuiltinCheck, CheckSettings
from signalpost.health.result import CheckResult
from signalpost.runtime import Runtime

__all__ = ["HttpCheck", "TcpCheck"]

class HttpCheck(BuiltinCheck):
    """Sends one HTTP request (httpx) and judges the status code and the latency.

    Args:
        url: ``http://`` or ``https://`` URL (certificates verified for https).
        settings: Its name (required, the metric label, e.g. ``"payments-api"``) and, when
            not the defaults, whether readiness depends on it (not by default: most
            dependencies are optional), timeout (5 s), interval (30 s) and the latency to
            the status line above which it is degraded (1 s).
        method: Request method, ``GET`` by default (``HEAD`` is cheaper where supported).
        expected_status: Status codes counted as up; default 200-399.
        headers: Extra request headers (e.g. an API key; never shown in the report).
        ssl_context: Context for https; defaults to the system's verified one.
        runtime: Where the clock comes from (default: :func:`signalpost.runtime.current`,
            resolved at the first run).
        **deprecated: The keywords that came before ``settings=`` (``name``, ``critical``,
            ``timeout``, ``interval``, ``degraded_after``) and ``runtime=`` (``clock``):
            they work for one release, with a :class:`DeprecationWarning`.
    """

    DEFAULTS = CheckSettings(critical=False, timeout=5.0, interval=30.0, degraded_after=1.0)

    def __init__(
        self,
        url: str,
        *,
        settings: CheckSettings | None = None,
        method: str = "GET",
        expected_status: Collection[int] = range(200, 400),
        headers: Mapping[str, str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        runtime: Runtime | None = None,
        **deprecated: Any,
    ) -> None:
        given = self._settle(settings, deprecated, ("clock",))
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"HttpCheck {self.name!r}: expected an http(s) URL, got {url!r}")
        self.url = url
        self.method = method.upper()
        self.expected_status = expected_status
        self.headers = dict(headers or {})
        self._clock = CheckClock(runtime, given.get("clock"))
        self._ssl_context = ssl_context
        netloc = parts.netloc.rsplit("@", 1)[-1]
        # Credentials in the URL are not sent (nor shown): headers= carries an API key.
        self._public_url = f"{parts.scheme}://{netloc}{parts.path or '/'}"
        self._url = self._public_url + (f"?{parts.query}" if parts.query else "")

    async def run(self) -> CheckResult:
        """Send the request, read the status line and headers, close (the body is not read).

        Raises:
            httpx.TransportError: When no response comes (refused, reset, TLS, not HTTP);
                the monitor records it as the run's failure.
        """
        if self._ssl_context is None:
            # Built once per check: httpx would build one per client (about 20 ms a run).
            self._ssl_context = ssl.create_default_context()
        clock = self._clock.resolve()
        started = clock.monotonic()
        async with (
            httpx.AsyncClient(
                verify=self._ssl_context,
                trust_env=False,  # the dependency itself, never through an environment proxy
                follow_redirects=False,
                timeout=self.timeout,
                headers={"User-Agent": "signalpost-health", **self.headers},
            ) as client,
            client.stream(self.method, self._url) as response,
        ):
            latency = clock.monotonic() - started
            code = response.status_code
        details = {"url": self._public_url, "status_code": code, "latency_seconds": latency}
        if code not in self.expected_status:
            return CheckResult.unhealthy(f"unexpected HTTP status {code}", **details)
        if latency > self.degraded_after:
            return CheckResult.degraded(
                f"slow: {latency:.3f} s, threshold {self.degraded_after:g} s", **details
            )
        return CheckResult.healthy(**details)


class TcpCheck(BuiltinCheck):
    """Opens a TCP connection and optionally checks the greeting (e.g. SMTP's ``220``).

    Args:
        host: Host name or address.
        port: TCP port.
        settings: Its name (required, the metric label, e.g. ``"smtp"``) and, when not the
            defaults, whether readiness depends on it (not by default), timeout (5 s),
            interval (30 s) and the latency above which it is degraded (1 s).
        expect_banner: Bytes the server's first line must start with (``b"220"`` for SMTP);
            ``None`` to only connect.
        runtime, **deprecated: As for :class:`HttpCheck`.
    """

    DEFAULTS = HttpCheck.DEFAULTS

    def __init__(
        self,
        host: str,
        port: int,
        *,
        settings: CheckSettings | None = None,
        expect_banner: bytes | None = None,
        runtime: Runtime | None = None,
        **deprecated: Any,
    ) -> None:
        given = self._settle(settings, deprecated, ("clock",))
        self.host = host
        self.port = port
        self.expect_banner = expect_banner
        self._clock = CheckClock(runtime, given.get("clock"))

    async def run(self) -> CheckResult:
        """Connect, read the banner if one is expected, close."""
        clock = self._clock.resolve()
        started = clock.monotonic()
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            banner = b""
            if self.expect_banner is not None:
                banner = (await reader.readline()).rstrip(b"\r\n")
            latency = clock.monotonic() - started
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except ConnectionError:
                pass
        details: dict[str, object] = {
            "address": f"{self.host}:{self.port}",
            "latency_seconds": latency,
        }
        if self.expect_banner is not None:
            details["banner"] = banner[:80].decode("latin-1")
            if not banner.startswith(self.expect_banner):
                return CheckResult.unhealthy(
                    f"unexpected greeting, expected {self.expect_banner!r}", **details
                )
        if latency > self.degraded_after:
            return CheckResult.degraded(
                f"slow: {latency:.3f} s, threshold {self.degraded_after:g} s", **details
            )
        return CheckResult.healthy(**details)
