"""Check Alertmanager's webhook payload (version 4) and turn it into rows.

Only what the table needs is checked; anything else in the payload is ignored, so newer
Alertmanager versions that add fields keep working.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = ["AlertRecord", "PayloadError", "parse_payload"]

_TIMESTAMP = re.compile(
    r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
)
# Go's zero time: Alertmanager's "no end" for firing alerts.
_NO_END_BEFORE = datetime(1970, 1, 2, tzinfo=UTC)
MAX_ALERTS = 10_000


class PayloadError(ValueError):
    """The request body is not a notification this receiver can store (answered 400)."""


@dataclass(frozen=True)
class AlertRecord:
    """One row of ``alert_history``."""

    fingerprint: str
    alertname: str
    status: str
    severity: str | None
    service: str | None
    starts_at: datetime
    ends_at: datetime | None
    labels: dict[str, str]
    annotations: dict[str, str]
    receiver: str
    group_key: str


def _timestamp(value: object, where: str) -> datetime:
    if not isinstance(value, str):
        raise PayloadError(f"{where} must be an RFC 3339 string")
    match = _TIMESTAMP.match(value)
    if match is None:
        raise PayloadError(f"{where} is not an RFC 3339 timestamp")
    whole, fraction, zone = match.groups()
    # Go writes up to nanoseconds; Python and PostgreSQL keep microseconds.
    micro = (fraction or ".0")[1:7].ljust(6, "0")
    text = f"{whole}.{micro}{'+00:00' if zone == 'Z' else zone}"
    try:
        return datetime.fromisoformat(text).astimezone(UTC)
    except ValueError as exc:
        raise PayloadError(f"{where} is not a valid date") from exc


def _string_map(value: object, where: str) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise PayloadError(f"{where} must map strings to strings")
    if any("\x00" in k or "\x00" in v for k, v in value.items()):
        raise PayloadError(f"{where} holds a NUL character (PostgreSQL cannot store it)")
    return dict(value)


def _text(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value or "\x00" in value:
        raise PayloadError(f"{where}.{key} must be a non-empty string without NUL")
    return value


def _record(alert: object, where: str, receiver: str, group_key: str) -> AlertRecord:
    if not isinstance(alert, Mapping):
        raise PayloadError(f"{where} must be an object")
    status = alert.get("status")
    if status not in ("firing", "resolved"):
        raise PayloadError(f"{where}.status must be 'firing' or 'resolved'")
    labels = _string_map(alert.get("labels"), f"{where}.labels")
    annotations = _string_map(alert.get("annotations", {}), f"{where}.annotations")
    if not labels.get("alertname"):
        raise PayloadError(f"{where}.labels has no alertname")
    ends_at: datetime | None = _timestamp(alert.get("endsAt"), f"{where}.endsAt")
    if status == "firing":
        ends_at = None
    elif ends_at is None or ends_at < _NO_END_BEFORE:
        raise PayloadError(f"{where}: a resolved alert needs endsAt")
    return AlertRecord(
        fingerprint=_text(alert, "fingerprint", where),
        alertname=labels["alertname"],
        status=status,
        severity=labels.get("severity"),
        service=labels.get("service"),
        starts_at=_timestamp(alert.get("startsAt"), f"{where}.startsAt"),
        ends_at=ends_at,
        labels=labels,
        annotations=annotations,
        receiver=receiver,
        group_key=group_key,
    )


def parse_payload(body: bytes) -> list[AlertRecord]:
    """Rows for every alert of one webhook notification.

    Raises:
        PayloadError: The body is not JSON, not a version 4 notification, or an alert lacks
            a field the table needs. The message never quotes the payload's values.
    """
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError("body is not JSON") from exc
    if not isinstance(data, Mapping):
        raise PayloadError("body must be a JSON object")
    if data.get("version") != "4":
        raise PayloadError("only Alertmanager webhook payload version '4' is supported")
    receiver = _text(data, "receiver", "payload")
    group_key = _text(data, "groupKey", "payload")
    alerts = data.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        raise PayloadError("payload.alerts must be a non-empty list")
    if len(alerts) > MAX_ALERTS:
        raise PayloadError(f"payload.alerts holds more than {MAX_ALERTS} alerts")
    return [
        _record(alert, f"alerts[{index}]", receiver, group_key)
        for index, alert in enumerate(alerts)
    ]
