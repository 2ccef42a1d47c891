"""The alert history receiver: Alertmanager calls it by webhook, it stores every notification
(firing and resolved) in the PostgreSQL table ``alert_history``.

Run it with ``python -m alertmanager.history`` (see :mod:`alertmanager.history.__main__`).
"""

from __future__ import annotations

from alertmanager.history.app import create_app
from alertmanager.history.migrate import migrate
from alertmanager.history.payload import AlertRecord, PayloadError, parse_payload
from alertmanager.history.store import HistoryStore, StoreUnavailable

__all__ = [
    "AlertRecord",
    "HistoryStore",
    "PayloadError",
    "StoreUnavailable",
    "create_app",
    "migrate",
    "parse_payload",
]
