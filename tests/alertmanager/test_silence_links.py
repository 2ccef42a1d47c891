"""Every notification links a silence pre-filled with the alert's labels (and one for its group):
rendered offline by amtool, then sent by a real Alertmanager 0.25 (the HTML part goes through
Go's html/template), decoded as the UI decodes it, and the silence made from it mutes exactly
that alert."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from prometheus.catalog import Alert
from tests.alertmanager.conftest import SmtpSink
from tests.alertmanager.harness import AlertmanagerServer, WebhookCatcher
from tests.alertmanager.posting import alert, key, post_and_read, unique
from tests.alertmanager.silence_links import HOSTILE, filters, matchers, silence_urls
from tests.alertmanager.test_templates import MIXED, data, render
from tests.alertmanager.test_templates import alert as template_alert
from tests.servers import wait_for

EXTERNAL = "http://alertmanager.example.test:9093"
HOSTILE_DATA = data(
    template_alert("firing", "First failure", error_class="permanent", **HOSTILE),
    template_alert("firing", "Second failure", error_class="data"),
    template_alert("resolved", "Old failure"),
)
FIRING = [a["labels"] for a in HOSTILE_DATA["alerts"] if a["status"] == "firing"]


def _links(body: str, *, html: bool = False) -> list[dict[str, str]]:
    urls = silence_urls(body, html=html)
    assert all(url.startswith(f"{EXTERNAL}/#/silences/new?filter=") for url in urls), urls
    return [matchers(filters(url)) for url in urls]


@pytest.mark.parametrize(
    "name", ["signalpost.email.text", "signalpost.chat.text", "signalpost.pager.details"]
)
def test_each_firing_alert_links_a_silence_of_exactly_its_labels(
    name: str, tmp_path: Path
) -> None:
    links = _links(render(name, HOSTILE_DATA, tmp_path))
    group = HOSTILE_DATA["groupLabels"]
    expected = FIRING + ([group] if name == "signalpost.email.text" else [])
    assert links == expected  # none for the resolved alert: nothing to silence


def test_the_email_says_where_to_silence_the_whole_group(tmp_path: Path) -> None:
    body = render("signalpost.email.text", MIXED, tmp_path)
    (line,) = [x for x in body.splitlines() if x.startswith("Silence the group: ")]
    assert matchers(filters(line.split(": ", 1)[1])) == MIXED["groupLabels"]


def _routes_test(config: Path, labels: dict[str, str]) -> subprocess.CompletedProcess[str]:
    args = [f"{name}={json.dumps(value, ensure_ascii=False)}" for name, value in labels.items()]
    return subprocess.run(
        ["amtool", "config", "routes", "test", f"--config.file={config}",
         "--verify.receivers=silenced", *args],
        capture_output=True, text=True, check=False,
    )


def test_alertmanager_reads_the_filter_back_as_the_same_matchers(tmp_path: Path) -> None:
    """Alertmanager's own matcher parser (a route's ``matchers``, via amtool) takes the decoded
    filter and matches the alert's labels with it, and not labels that differ by one value."""
    body = render("signalpost.pager.details", HOSTILE_DATA, tmp_path)
    text = filters(silence_urls(body)[0])
    config = tmp_path / "routes.yml"
    config.write_text(json.dumps({
        "route": {"receiver": "other", "routes": [{"receiver": "silenced", "matchers": [text]}]},
        "receivers": [{"name": "other"}, {"name": "silenced"}],
    }))
    matched = _routes_test(config, FIRING[0])
    assert matched.returncode == 0, matched.stdout + matched.stderr
    other = {**FIRING[0], "detail": HOSTILE["detail"] + " "}
    assert _routes_test(config, other).returncode == 1


def _mail_with(smtp: SmtpSink, service: str) -> Any:
    def find() -> Any:
        return next((m for m in smtp.messages() if service in str(m["Subject"])), None)

    return wait_for(find, what=f"an email about {service}")


def test_sent_email_and_chat_links_silence_exactly_the_alert(
    alertmanager: AlertmanagerServer, smtp: SmtpSink, catcher: WebhookCatcher
) -> None:
    service = unique("svc")
    fired = alert(Alert.JOB_FAILED, "warning", service, **HOSTILE)
    twin = alert(Alert.JOB_FAILED, "warning", service, **{**HOSTILE, "detail": "other"})
    alertmanager.post_alerts([fired])
    message = _mail_with(smtp, service)
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    group = {"alertname": Alert.JOB_FAILED.value, "service": service,
             "job_type": HOSTILE["job_type"]}
    for body, is_html in ((text, False), (html, True)):
        links = [matchers(filters(u)) for u in silence_urls(body, html=is_html)]
        assert links == [fired["labels"], group], (is_html, body)

    def chat() -> str | None:
        for payload in catcher.received("/chat"):
            for attachment in payload.get("attachments", []):
                if service in attachment.get("title", ""):
                    return str(attachment["text"])
        return None

    chat_text = wait_for(chat, what="the chat message")
    assert [matchers(filters(u)) for u in silence_urls(chat_text)] == [fired["labels"]]

    # The silence form the link pre-fills, submitted as the UI submits it (the parsed
    # matchers, posted to the API), mutes this alert and not one that differs by one label.
    prefilled = matchers(filters(silence_urls(text)[0]))
    silence = {
        "matchers": [{"name": n, "value": v, "isRegex": False, "isEqual": True}
                     for n, v in prefilled.items()],
        "startsAt": datetime.now(UTC).isoformat(),
        "endsAt": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
        "createdBy": "oncall",
        "comment": "from the link",
    }
    request = urllib.request.Request(
        f"{alertmanager.url}/api/v2/silences", data=json.dumps(silence).encode(),
        headers={"Content-Type": "application/json"}, method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        silence_id = json.load(response)["silenceID"]
    view = post_and_read(alertmanager, [fired, twin], [fired])
    assert view[key(fired["labels"])]["status"]["silencedBy"] == [silence_id]
    assert view[key(twin["labels"])]["status"]["state"] == "active"


@pytest.mark.parametrize(
    "name",
    ["signalpost.email.text", "signalpost.email.html", "signalpost.chat.text",
     "signalpost.pager.details"],
)
def test_an_alert_without_runbook_or_dashboard_gets_no_empty_link(
    name: str, tmp_path: Path
) -> None:
    bare = template_alert("firing", "Bare alert")
    bare["annotations"] = {"summary": "Bare alert", "description": "no links"}
    body = render(name, data(bare), tmp_path)
    assert "Bare alert" in body
    assert "Runbook" not in body and "Dashboard" not in body
    assert 'href=""' not in body and "<|" not in body
    assert [matchers(filters(u)) for u in silence_urls(body)][:1] == [bare["labels"]]
