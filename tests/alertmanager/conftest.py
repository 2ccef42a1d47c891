"""A real Alertmanager with the generated routing tree, a webhook catcher and an SMTP sink."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from alertmanager.generate import render
from tests.alertmanager.harness import (
    AlertmanagerServer,
    WebhookCatcher,
    local_knobs,
)
from tests.servers import free_port


class SmtpSink:
    """An SMTP server on loopback keeping every message it receives."""

    def __init__(self) -> None:
        self.port = free_port()
        self._lock = threading.Lock()
        self._messages: list[EmailMessage] = []
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self._messages.append(message)
        return "250 OK"

    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return list(self._messages)

    def close(self) -> None:
        self._controller.stop()


@pytest.fixture(scope="module")
def catcher() -> Iterator[WebhookCatcher]:
    server = WebhookCatcher()
    yield server
    server.close()


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    yield sink
    sink.close()


@pytest.fixture(scope="module")
def alertmanager(
    catcher: WebhookCatcher, smtp: SmtpSink, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AlertmanagerServer]:
    """Alertmanager running the generated configuration with local receivers, chat enabled
    by its secret file (the chat webhook URL)."""
    chat_secret = tmp_path_factory.mktemp("secrets") / "slack_api_url"
    chat_secret.write_text(f"{catcher.url}/chat\n")
    knobs = local_knobs(
        pager_url=f"{catcher.url}/pager",
        history_url=f"{catcher.url}/history",
        watchdog_url=f"{catcher.url}/watchdog",
        smtp_port=smtp.port,
        chat_url_file=str(chat_secret),
    )
    server = AlertmanagerServer(render(knobs))
    yield server
    server.stop()
