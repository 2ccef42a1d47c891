"""Alerts posted to a real Alertmanager and what it makes of them: the API's view (inhibited or
not) and the notifications a webhook catcher received."""

from __future__ import annotations

import uuid
from typing import Any

from prometheus.catalog import Alert
from tests.alertmanager.harness import AlertmanagerServer, WebhookCatcher
from tests.servers import wait_for

__all__ = [
    "alert",
    "expect",
    "expect_history",
    "history",
    "key",
    "notified",
    "post_and_read",
    "settle",
    "unique",
]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def alert(name: str, severity: str, service: str, **labels: str) -> dict[str, Any]:
    return {
        "labels": {"alertname": str(name), "severity": severity, "service": service, **labels},
        "annotations": {
            "summary": f"{name} on {service}",
            "description": f"{name} fired: <ValueError> & co",
            "runbook_url": f"https://runbooks.example.test/{name}.md",
            "dashboard_url": "https://grafana.example.test/d/signalpost",
        },
        "generatorURL": "http://prometheus.example.test/graph",
    }


def key(labels: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(labels.items()))


def post_and_read(
    am: AlertmanagerServer,
    alerts: list[dict[str, Any]],
    suppressed: list[dict[str, Any]] = [],  # noqa: B006 (never mutated)
) -> dict[Any, Any]:
    """Post alerts; return Alertmanager's view of each (by label set) once all are there and
    the ``suppressed`` ones show as such.

    The inhibitor learns about source alerts asynchronously, so right after the POST a target
    can still show as active: waiting for the expected state (with a generous timeout) is not
    a weaker test, a never-inhibited alert still fails it."""
    am.post_alerts(alerts)
    wanted = {key(a["labels"]) for a in alerts}
    muted = {key(a["labels"]) for a in suppressed}

    def seen() -> dict[Any, Any] | None:
        view = {key(a["labels"]): a for a in am.alerts()}
        if not wanted <= set(view):
            return None
        if any(view[k]["status"]["state"] != "suppressed" for k in muted):
            return None
        return view

    view: dict[Any, Any] = wait_for(seen, what="posted alerts to show in the API as expected")
    return view


def settle(am: AlertmanagerServer, catcher: WebhookCatcher) -> None:
    """Post a marker and wait for its notification: every group created before it has flushed
    (all groups wait the same group_wait), so what has not arrived will not arrive."""
    marker = alert(Alert.MEMORY_HIGH, "info", unique("marker"))
    am.post_alerts([marker])
    wait_for(
        lambda: any(a["labels"] == marker["labels"] for a in catcher.alerts("/history")),
        what="the marker notification",
    )


def expect(
    am: AlertmanagerServer, catcher: WebhookCatcher, path: str, service: str, names: set[str]
) -> None:
    """Wait for the expected notifications, then for a later marker: nothing else arrives.

    Inhibited alerts would have been flushed together with the expected ones; after those
    and the marker arrived, an inhibited alert still missing stayed silent."""
    wait_for(lambda: notified(catcher, path, service) >= names, what=f"{names} at {path}")
    settle(am, catcher)
    assert notified(catcher, path, service) == names


def history(catcher: WebhookCatcher, service: str) -> set[Any]:
    """The label sets of the service's alerts the history receiver was told about."""
    return {key(a["labels"]) for a in catcher.alerts("/history")
            if a["labels"]["service"] == service}


def notified(catcher: WebhookCatcher, path: str, service: str) -> set[str]:
    return {a["labels"]["alertname"] for a in catcher.alerts(path)
            if a["labels"]["service"] == service}


def expect_history(
    am: AlertmanagerServer, catcher: WebhookCatcher, service: str, alerts: list[dict[str, Any]]
) -> None:
    """Wait for ``alerts`` in the history receiver, then for a marker: no other alert of the
    service reaches it."""
    wanted = {key(a["labels"]) for a in alerts}
    wait_for(lambda: history(catcher, service) >= wanted, what="the uninhibited alerts in history")
    settle(am, catcher)
    assert history(catcher, service) == wanted
