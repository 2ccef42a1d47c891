"""Inhibition, routing and email proven against a real Alertmanager 0.25 (no offline tester
exists for inhibition): alerts posted to /api/v2/alerts, ``status.inhibitedBy`` read back, and
notifications caught by a webhook server and an SMTP sink."""

from __future__ import annotations

import subprocess
from typing import Any

from prometheus.catalog import (
    AFTERMATH,
    INHIBITED_BY_DATABASE_DOWN,
    INHIBITED_BY_SERVICE_DOWN,
    Alert,
)
from tests.alertmanager.conftest import SmtpSink
from tests.alertmanager.harness import AlertmanagerServer, WebhookCatcher
from tests.alertmanager.posting import (
    alert,
    expect,
    expect_history,
    key,
    notified,
    post_and_read,
    settle,
    unique,
)
from tests.servers import wait_for


def test_critical_inhibits_the_matching_warning(
    alertmanager: AlertmanagerServer, catcher: WebhookCatcher
) -> None:
    service = unique("svc")
    name = Alert.JOB_FAILURE_RATIO_HIGH
    critical = alert(name, "critical", service, job_type="matching")
    warning = alert(name, "warning", service, job_type="matching")
    other_job = alert(name, "warning", service, job_type="digest")
    other_alert = alert(Alert.JOB_STUCK, "warning", service, job_type="matching")
    post_and_read(alertmanager, [critical])  # causes first, as in an incident
    view = post_and_read(alertmanager, [warning, other_job, other_alert], [warning])

    source = view[key(critical["labels"])]["fingerprint"]
    assert view[key(warning["labels"])]["status"] == {
        "state": "suppressed", "inhibitedBy": [source], "silencedBy": [],
    }
    for free in (other_job, other_alert, critical):
        assert view[key(free["labels"])]["status"]["inhibitedBy"] == []
        assert view[key(free["labels"])]["status"]["state"] == "active"

    expect(alertmanager, catcher, "/pager", service, {name})
    expect_history(alertmanager, catcher, service, [critical, other_job, other_alert])


def test_fast_burn_page_inhibits_the_slow_burn_ticket_of_the_same_slo(
    alertmanager: AlertmanagerServer, catcher: WebhookCatcher
) -> None:
    service = unique("svc")
    fast = alert(Alert.ERROR_BUDGET_BURN_FAST, "critical", service, slo="availability")
    slow = alert(Alert.ERROR_BUDGET_BURN_SLOW, "warning", service, slo="availability")
    other_slo = alert(Alert.ERROR_BUDGET_BURN_SLOW, "warning", service, slo="latency")
    post_and_read(alertmanager, [fast])
    view = post_and_read(alertmanager, [slow, other_slo], [slow])
    source = view[key(fast["labels"])]["fingerprint"]
    assert view[key(slow["labels"])]["status"]["inhibitedBy"] == [source]
    assert view[key(other_slo["labels"])]["status"]["inhibitedBy"] == []
    expect(alertmanager, catcher, "/pager", service, {Alert.ERROR_BUDGET_BURN_FAST})
    expect_history(alertmanager, catcher, service, [fast, other_slo])


def check_cause_inhibits(
    am: AlertmanagerServer,
    catcher: WebhookCatcher,
    cause_name: Alert,
    targets: tuple[Alert, ...],
    extra_inhibited: list[dict[str, Any]] = [],  # noqa: B006 (never mutated)
    extra_free: list[dict[str, Any]] = [],  # noqa: B006
) -> None:
    service, elsewhere = unique("svc"), unique("svc")
    cause = alert(cause_name, "critical", service)
    symptoms = [alert(t, "warning", service, job_type="matching") for t in targets]
    symptoms += [{**a, "labels": {**a["labels"], "service": service}} for a in extra_inhibited]
    others = [alert(t, "warning", elsewhere, job_type="matching") for t in targets]
    bystander_name = next(
        a for a in Alert if a not in targets
        and a not in {Alert.SERVICE_DOWN, Alert.DATABASE_DOWN, Alert.WATCHDOG}
        and a not in AFTERMATH.values()  # inhibition sources, routed to no one
    )
    free = [*others, alert(bystander_name, "warning", service)]
    free += [{**a, "labels": {**a["labels"], "service": service}} for a in extra_free]
    post_and_read(am, [cause])
    view = post_and_read(am, [*symptoms, *free], symptoms)

    source = view[key(cause["labels"])]["fingerprint"]
    for symptom in symptoms:
        status = view[key(symptom["labels"])]["status"]
        assert status["inhibitedBy"] == [source], symptom["labels"]
        assert status["state"] == "suppressed"
    for other in free:
        assert view[key(other["labels"])]["status"]["inhibitedBy"] == [], other["labels"]

    expected_here = {cause_name, bystander_name, *(a["labels"]["alertname"] for a in extra_free)}
    expect(am, catcher, "/history", service, expected_here)
    expect(am, catcher, "/history", elsewhere, set(targets))
    expect(am, catcher, "/pager", service, {cause_name})


def test_service_down_inhibits_its_symptoms_on_the_same_service(
    alertmanager: AlertmanagerServer, catcher: WebhookCatcher
) -> None:
    check_cause_inhibits(alertmanager, catcher, Alert.SERVICE_DOWN, INHIBITED_BY_SERVICE_DOWN)


def test_database_down_inhibits_its_symptoms_and_transient_job_failures(
    alertmanager: AlertmanagerServer, catcher: WebhookCatcher
) -> None:
    transient = alert(Alert.JOB_FAILED, "warning", "x", job_type="parse", error_class="transient")
    permanent = alert(Alert.JOB_FAILED, "warning", "x", job_type="parse", error_class="permanent")
    check_cause_inhibits(
        alertmanager, catcher, Alert.DATABASE_DOWN, INHIBITED_BY_DATABASE_DOWN,
        extra_inhibited=[transient], extra_free=[permanent],
    )


def test_watchdog_goes_to_its_own_receiver_only(
    alertmanager: AlertmanagerServer, catcher: WebhookCatcher
) -> None:
    service = unique("svc")
    alertmanager.post_alerts([alert(Alert.WATCHDOG, "none", service)])
    wait_for(lambda: notified(catcher, "/watchdog", service), what="the Watchdog ping")
    settle(alertmanager, catcher)
    assert notified(catcher, "/history", service) == set()
    assert notified(catcher, "/pager", service) == set()


def _mail_for(smtp: SmtpSink, service: str) -> Any:
    def find() -> Any:
        for message in smtp.messages():
            if service in str(message["Subject"]):
                return message
        return None

    return wait_for(find, what=f"an email about {service}")


def test_warning_reaches_email_with_the_rendered_subject_and_body(
    alertmanager: AlertmanagerServer, smtp: SmtpSink, catcher: WebhookCatcher
) -> None:
    service = unique("svc")
    warning = alert(Alert.JOB_FAILED, "warning", service, job_type="matching",
                    error_class="permanent")
    alertmanager.post_alerts([warning])
    message = _mail_for(smtp, service)

    assert message["Subject"] == f"[FIRING: 1] JobFailed on {service} (job type: matching)"
    assert message["To"] == "oncall@example.test"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "1 firing, 0 resolved" in text
    assert f"[FIRING] JobFailed on {service}" in text
    assert "JobFailed fired: <ValueError> & co" in text
    assert "Runbook: https://runbooks.example.test/JobFailed.md" in text
    assert "Dashboard: https://grafana.example.test/d/signalpost" in text
    assert "Job type: matching" in text
    assert f"{alertmanager.url}/#/alerts" in text
    # The HTML part goes through Go's html/template: user text is escaped, links kept.
    assert "JobFailed fired: &lt;ValueError&gt; &amp; co" in html
    assert '<a href="https://runbooks.example.test/JobFailed.md">Runbook</a>' in html
    assert notified(catcher, "/pager", service) == set()  # a warning never pages


def test_critical_pages_and_emails(
    alertmanager: AlertmanagerServer, smtp: SmtpSink, catcher: WebhookCatcher
) -> None:
    service = unique("svc")
    alertmanager.post_alerts([alert(Alert.DISK_WILL_FILL_IN_24H, "critical", service)])
    message = _mail_for(smtp, service)
    assert message["Subject"] == f"[FIRING: 1] DiskWillFillIn24h on {service}"
    wait_for(lambda: notified(catcher, "/pager", service), what="the page")
    page = next(b for b in catcher.received("/pager")
                if b["commonLabels"].get("service") == service)
    assert page["receiver"] == "critical"
    assert page["groupLabels"] == {"alertname": "DiskWillFillIn24h", "service": service}
    assert page["alerts"][0]["annotations"]["runbook_url"].endswith("DiskWillFillIn24h.md")


def test_info_notifies_nobody_but_history(
    alertmanager: AlertmanagerServer, smtp: SmtpSink, catcher: WebhookCatcher
) -> None:
    service = unique("svc")
    alertmanager.post_alerts([alert(Alert.JOB_STUCK, "info", service, job_type="digest")])
    wait_for(lambda: notified(catcher, "/history", service), what="the history copy")
    settle(alertmanager, catcher)
    assert notified(catcher, "/pager", service) == set()
    assert not [m for m in smtp.messages() if service in str(m["Subject"])]


def test_acknowledge_with_an_amtool_silence(
    alertmanager: AlertmanagerServer, catcher: WebhookCatcher
) -> None:
    """The documented acknowledgement: `amtool silence add`, then `amtool silence expire`."""
    service = unique("svc")
    fired = alert(Alert.HIGH_LATENCY, "warning", service, http_route="/items")
    url = f"--alertmanager.url={alertmanager.url}"
    added = subprocess.run(
        ["amtool", url, "silence", "add", f"alertname={Alert.HIGH_LATENCY}", f"service={service}",
         "--duration=2h", "--author=oncall", "--comment=investigating, INC-1"],
        capture_output=True, text=True, check=False,
    )
    assert added.returncode == 0, added.stderr
    silence_id = added.stdout.strip()
    view = post_and_read(alertmanager, [fired], [fired])
    assert view[key(fired["labels"])]["status"] == {
        "state": "suppressed", "inhibitedBy": [], "silencedBy": [silence_id],
    }
    silenced = subprocess.run(["amtool", url, "alert", "query", "--silenced", "-o", "json"],
                              capture_output=True, text=True, check=True)
    assert service in silenced.stdout
    settle(alertmanager, catcher)
    assert notified(catcher, "/history", service) == set()  # acknowledged: nobody is told

    subprocess.run(["amtool", url, "silence", "expire", silence_id], check=True,
                   capture_output=True)
    wait_for(lambda: notified(catcher, "/history", service) == {Alert.HIGH_LATENCY},
             what="notifications to resume once the silence expired")


def test_chat_enabled_by_its_secret_file_gets_the_rendered_message(
    alertmanager: AlertmanagerServer, catcher: WebhookCatcher
) -> None:
    service = unique("svc")
    alertmanager.post_alerts([alert(Alert.JOB_NOT_SUCCEEDED, "warning", service,
                                    job_type="digest")])

    def message() -> dict[str, Any] | None:
        for body in catcher.received("/chat"):
            for attachment in body.get("attachments", []):
                if service in attachment.get("title", ""):
                    return {"channel": body.get("channel"), **attachment}
        return None

    chat = wait_for(message, what="the chat message")
    assert chat["channel"] == "#oncall"
    assert chat["title"] == f"[FIRING: 1] JobNotSucceeded on {service} (job type: digest)"
    assert chat["title_link"] == "https://grafana.example.test/d/signalpost"
    text = chat["text"]
    assert "1 firing, 0 resolved" in text
    assert f"*[FIRING] JobNotSucceeded on {service}*" in text
    assert "<https://runbooks.example.test/JobNotSucceeded.md|Runbook>" in text
    assert "Job type: `digest`" in text
    assert f"`service={service}`" in text
