"""setup() routes the servers' loggers into its handlers, but keeps off what the server turned
off (uvicorn's ``--no-access-log`` empties ``uvicorn.access`` and stops its propagation)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry

from signalpost.sdk import SetupOptions, setup

OFF = {"tracing": {"enabled": False}, "logging": {"otlp": False}}


@pytest.fixture
def access_logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger("uvicorn.access")
    saved = (list(logger.handlers), logger.propagate)
    yield logger
    logger.handlers[:] = saved[0]
    logger.propagate = saved[1]


def test_an_access_log_the_server_turned_off_stays_off(access_logger: logging.Logger) -> None:
    access_logger.handlers = []  # what uvicorn's Config does for --no-access-log
    access_logger.propagate = False
    telemetry = setup(overrides=OFF, options=SetupOptions(registry=CollectorRegistry()))
    try:
        assert not access_logger.hasHandlers()  # uvicorn then builds no access line at all
    finally:
        telemetry.shutdown()


def test_an_access_log_the_server_keeps_is_routed(access_logger: logging.Logger) -> None:
    access_logger.handlers = [logging.StreamHandler()]
    access_logger.propagate = False
    telemetry = setup(overrides=OFF, options=SetupOptions(registry=CollectorRegistry()))
    try:
        assert access_logger.handlers == [] and access_logger.propagate
        assert access_logger.hasHandlers()  # through the root logger's JSON handler
    finally:
        telemetry.shutdown()
