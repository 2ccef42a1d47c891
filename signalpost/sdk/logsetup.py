"""The logging step of :func:`signalpost.setup`: JSON and OTLP handlers on the root logger,
with trace, span and request IDs and scrubbing on every record, and the step's undo."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry.sdk._logs import LoggerProvider

from signalpost.errors.scrub import Scrubber
from signalpost.logcontext import CorrelationFilter
from signalpost.sdk.config import SignalpostConfig
from signalpost.sdk.jsonlog import JsonFormatter
from signalpost.sdk.logscrub import ScrubbingFilter
from signalpost.sdk.otlp_logs import OtlpLogHandler

__all__ = ["StderrHandler", "configure_logging"]

# Loggers that servers configure with handlers of their own; routed to the root instead so
# that every line comes out in one format with trace and request IDs.
SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "gunicorn.error")
_MARK = "_signalpost"


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time of each record.

    The handler outlives :meth:`Telemetry.shutdown` (the last lines must come out), so it must
    not hold on to a stream that a test harness or a daemoniser has since replaced or closed.
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def configure_logging(
    config: SignalpostConfig,
    logger_provider: LoggerProvider | None,
    scrubber: Scrubber,
    service_name: str | None,
    excluded_paths: Sequence[str],
) -> tuple[list[logging.Handler], Callable[[], None]]:
    """Install the handlers on the root logger; return them and the undo of this step.

    The undo puts back the root level, removes the handlers and gives the server loggers
    their handlers back (for a set-up that fails after this step).
    """
    root = logging.getLogger()
    level = root.level
    replaced = [h for h in root.handlers if getattr(h, _MARK, False)]
    for handler in replaced:
        root.removeHandler(handler)
    root.setLevel(config.logging.level.upper())
    handlers = _handlers(config, logger_provider, scrubber, service_name, excluded_paths)
    for handler in handlers:
        root.addHandler(handler)
    servers = _route_server_loggers() if config.logging.json else []

    def undo() -> None:
        for handler in handlers:
            root.removeHandler(handler)
        for handler in replaced:
            root.addHandler(handler)
        root.setLevel(level)
        for server_logger, own, propagate in servers:
            server_logger.handlers[:] = own
            server_logger.propagate = propagate

    return handlers, undo


def _handlers(
    config: SignalpostConfig,
    logger_provider: LoggerProvider | None,
    scrubber: Scrubber,
    service_name: str | None,
    excluded_paths: Sequence[str],
) -> list[logging.Handler]:
    handlers: list[logging.Handler] = []
    if config.logging.json:
        stream = StderrHandler()
        stream.setFormatter(JsonFormatter(service_name, scrubber))
        handlers.append(stream)
    if logger_provider is not None and config.logging.otlp:
        handlers.append(OtlpLogHandler(logger_provider, scrubber=scrubber))
    correlation = CorrelationFilter()
    scrubbing = ScrubbingFilter(scrubber, list(excluded_paths))
    for handler in handlers:
        handler.addFilter(correlation)
        handler.addFilter(scrubbing)  # after the IDs are set; once per record for both
        setattr(handler, _MARK, True)
    return handlers


def _route_server_loggers() -> list[tuple[logging.Logger, list[logging.Handler], bool]]:
    """Send the servers' own loggers to the root; return what they had, for the undo."""
    before = []
    for name in SERVER_LOGGERS:
        server_logger = logging.getLogger(name)
        if not server_logger.handlers and not server_logger.propagate:
            # The server turned this log off (uvicorn --no-access-log): keep it off.
            continue
        before.append((server_logger, list(server_logger.handlers), server_logger.propagate))
        server_logger.handlers.clear()
        server_logger.propagate = True
    return before
