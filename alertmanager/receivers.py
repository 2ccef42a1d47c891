"""The receivers of the generated Alertmanager configuration: pager, email, chat, the Watchdog's
switch and the history table."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from alertmanager.knobs import Knobs

__all__ = ["Receiver", "receivers", "webhook"]


class Receiver(StrEnum):
    """Receiver names of the generated configuration."""

    CRITICAL = "critical"
    WARNING = "warning"
    NULL = "null"
    WATCHDOG = "watchdog"
    HISTORY = "history"
    RECOVERY = "recovery"


def _email(knobs: Knobs) -> dict[str, Any]:
    email = knobs.email
    config: dict[str, Any] = {
        "to": email.to,
        "from": email.from_,
        "smarthost": email.smarthost,
        "require_tls": email.require_tls,
        "send_resolved": True,
        "headers": {"Subject": '{{ template "signalpost.email.subject" . }}'},
        "html": '{{ template "signalpost.email.html" . }}',
        "text": '{{ template "signalpost.email.text" . }}',
    }
    if email.auth_username is not None:
        config["auth_username"] = email.auth_username
    if email.auth_password_file is not None:
        config["auth_password_file"] = email.auth_password_file
    return config


def _chat(knobs: Knobs) -> list[dict[str, Any]]:
    if not knobs.chat.enabled:
        return []
    return [
        {
            "api_url_file": knobs.chat.api_url_file,
            "channel": knobs.chat.channel,
            "send_resolved": True,
            "title": '{{ template "signalpost.chat.title" . }}',
            "title_link": '{{ template "signalpost.chat.link" . }}',
            "text": '{{ template "signalpost.chat.text" . }}',
        }
    ]


def webhook(url: str, credentials_file: str | None = None) -> dict[str, Any]:
    config: dict[str, Any] = {"url": url, "send_resolved": True}
    if credentials_file is not None:
        config["http_config"] = {
            "authorization": {"type": "Bearer", "credentials_file": credentials_file}
        }
    return config


def receivers(knobs: Knobs) -> list[dict[str, Any]]:
    """The receivers every configuration has (the recovery runner's is added when set)."""
    critical: dict[str, Any] = {
        "name": Receiver.CRITICAL.value,
        "webhook_configs": [webhook(knobs.pager.url, knobs.pager.credentials_file)],
        "email_configs": [_email(knobs)],
    }
    warning: dict[str, Any] = {"name": Receiver.WARNING.value, "email_configs": [_email(knobs)]}
    chat = _chat(knobs)
    if chat:
        critical["slack_configs"] = chat
        warning["slack_configs"] = chat
    return [
        critical,
        warning,
        {"name": Receiver.NULL.value},
        {
            "name": Receiver.WATCHDOG.value,
            # The switch only needs the pings; a "resolved" Watchdog means nothing.
            "webhook_configs": [{"url": knobs.watchdog.url, "send_resolved": False}],
        },
        {"name": Receiver.HISTORY.value, "webhook_configs": [webhook(knobs.history.url)]},
    ]
