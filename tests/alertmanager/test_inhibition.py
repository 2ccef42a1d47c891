"""Each inhibition rule against a real Alertmanager 0.25: what it suppresses, and what it must
not (another job, instance, check, SLO or service), read from ``status.inhibitedBy`` and from
the notifications that arrive."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from alertmanager.generate import build_config
from prometheus.catalog import (
    AFTERMATH,
    DISTINGUISHING_LABELS,
    INHIBITED_BY_DATABASE_DOWN,
    INHIBITED_BY_SERVICE_DOWN,
    Alert,
)
from prometheus.knobs import load_knobs
from tests.alertmanager.harness import AlertmanagerServer, WebhookCatcher, local_knobs
from tests.alertmanager.posting import alert, expect, key, notified, post_and_read, unique
from tests.servers import wait_for

KNOBS = load_knobs()
API, WORKER = KNOBS.symptom_job("http"), KNOBS.symptom_job("jobs")


def check(
    am: AlertmanagerServer,
    catcher: WebhookCatcher,
    cause: dict[str, Any],
    inhibited: list[dict[str, Any]],
    free: list[dict[str, Any]],
) -> None:
    """Post the cause, then the others: exactly ``inhibited`` are suppressed by it, and the
    history receiver hears of the cause and ``free`` only."""
    post_and_read(am, [cause])  # causes first, as in an incident
    view = post_and_read(am, [*inhibited, *free], inhibited)
    source = view[key(cause["labels"])]["fingerprint"]
    for target in inhibited:
        assert view[key(target["labels"])]["status"] == {
            "state": "suppressed", "inhibitedBy": [source], "silencedBy": [],
        }, target["labels"]
    for other in [cause, *free]:
        status = view[key(other["labels"])]["status"]
        assert (status["state"], status["inhibitedBy"]) == ("active", []), other["labels"]
    by_service: dict[str, set[str]] = {}
    for a in [cause, *free]:
        by_service.setdefault(a["labels"]["service"], set()).add(a["labels"]["alertname"])
    for target in inhibited:
        by_service.setdefault(target["labels"]["service"], set())
    for service, names in by_service.items():
        expect(am, catcher, "/history", service, names)


def _symptom(name: Alert, service: str, job: str, **labels: str) -> dict[str, Any]:
    return alert(name, "warning", service, job=job, **labels)


def test_worker_down_silences_the_worker_symptoms_and_not_the_api_page(
    alertmanager: AlertmanagerServer, catcher: WebhookCatcher
) -> None:
    """Seen live: ServiceDown{job="worker"} inhibited the API's ErrorBudgetBurnFast."""
    service, elsewhere = unique("svc"), unique("svc")
    worker_side = [a for a in INHIBITED_BY_SERVICE_DOWN if a.startswith("Job")]
    inhibited = [_symptom(a, service, WORKER, job_type="matching") for a in worker_side]
    inhibited.append(_symptom(Alert.TARGET_MISSING, service, WORKER))
    inhibited.append(_symptom(Alert.ERROR_BUDGET_BURN_FAST, service, WORKER, slo="matching"))
    free = [
        alert(Alert.ERROR_BUDGET_BURN_FAST, "critical", service, job=API, slo="availability"),
        _symptom(Alert.HIGH_LATENCY, service, API, http_route="/items"),
        _symptom(Alert.JOB_FAILED, elsewhere, WORKER, job_type="matching"),
        _symptom(Alert.HEALTH_CHECK_FAILING, service, API, health_check_name="redis"),
    ]
    cause = alert(Alert.SERVICE_DOWN, "critical", service, job=WORKER)
    check(alertmanager, catcher, cause, inhibited, free)
    expect(alertmanager, catcher, "/pager", service,
           {Alert.SERVICE_DOWN, Alert.ERROR_BUDGET_BURN_FAST})


def test_api_down_silences_the_http_symptoms_and_not_the_worker_jobs(
    alertmanager: AlertmanagerServer, catcher: WebhookCatcher
) -> None:
    service = unique("svc")
    inhibited = [
        alert(Alert.ERROR_BUDGET_BURN_FAST, "critical", service, job=API, slo="availability"),
        _symptom(Alert.ERROR_BUDGET_BURN_SLOW, service, API, slo="latency"),
        _symptom(Alert.HIGH_LATENCY, service, API, http_route="/items"),
        _symptom(Alert.ERROR_SPIKE, service, API, error_source="http"),
        _symptom(Alert.TARGET_MISSING, service, API),
    ]
    free = [
        _symptom(Alert.JOB_FAILED, service, WORKER, job_type="matching"),
        _symptom(Alert.JOB_NOT_SUCCEEDED, service, WORKER, job_type="digest"),
        _symptom(Alert.ERROR_SPIKE, service, WORKER, error_source="job"),
    ]
    cause = alert(Alert.SERVICE_DOWN, "critical", service, job=API)
    check(alertmanager, catcher, cause, inhibited, free)
    expect(alertmanager, catcher, "/pager", service, {Alert.SERVICE_DOWN})


def test_database_down_silences_both_jobs_symptoms_and_the_schema_check(
    alertmanager: AlertmanagerServer, catcher: WebhookCatcher
) -> None:
    """The database is shared by the API and the worker: DatabaseDown explains the symptoms of
    both, SchemaInvalid included (the outage paged twice), on its own service only."""
    service, elsewhere = unique("svc"), unique("svc")
    inhibited = [
        _symptom(a, service, WORKER if a.startswith("Job") else API, job_type="matching")
        for a in INHIBITED_BY_DATABASE_DOWN
    ]
    inhibited.append(_symptom(Alert.JOB_FAILED, service, WORKER, job_type="parse",
                              error_class="transient"))
    free = [
        _symptom(Alert.JOB_FAILED, service, WORKER, job_type="parse", error_class="permanent"),
        _symptom(Alert.JOB_STUCK, service, WORKER, job_type="matching"),
        alert(Alert.SCHEMA_INVALID, "critical", elsewhere, health_check_name="schema"),
    ]
    cause = alert(Alert.DATABASE_DOWN, "critical", service, health_check_name="postgres")
    check(alertmanager, catcher, cause, inhibited, free)
    expect(alertmanager, catcher, "/pager", service, {Alert.DATABASE_DOWN})


@pytest.mark.parametrize("cause_name", list(AFTERMATH), ids=str)
def test_the_aftermath_keeps_the_symptoms_inhibited_after_the_cause_resolved(
    alertmanager: AlertmanagerServer, catcher: WebhookCatcher, cause_name: Alert
) -> None:
    """The cause resolves when it clears (on-call hears the all-clear, the recovery runner
    acts); its aftermath alert, firing on, still inhibits the lagging symptoms, and nobody is
    told of it: no page, no e-mail, no history row."""
    service, elsewhere = unique("svc"), unique("svc")
    if cause_name is Alert.DATABASE_DOWN:
        labels = {"health_check_name": "postgres"}
        targets = [(a, WORKER if a.startswith("Job") else API) for a in INHIBITED_BY_DATABASE_DOWN]
    else:
        labels = {"job": WORKER}
        targets = [(a, WORKER) for a in INHIBITED_BY_SERVICE_DOWN if a.startswith("Job")]
    cause = alert(cause_name, "critical", service, **labels)
    after = alert(AFTERMATH[cause_name], "info", service, **labels)
    inhibited = [_symptom(a, service, job, job_type="matching") for a, job in targets]
    free = [_symptom(a, elsewhere, job, job_type="matching") for a, job in targets]
    post_and_read(alertmanager, [cause, after])
    view = post_and_read(alertmanager, [*inhibited, *free], inhibited)
    sources = {view[key(cause["labels"])]["fingerprint"], view[key(after["labels"])]["fingerprint"]}
    for target in inhibited:
        assert set(view[key(target["labels"])]["status"]["inhibitedBy"]) <= sources

    # Resolved before its first notification, the cause would never be heard of at all.
    wait_for(lambda: notified(catcher, "/pager", service) == {cause_name}, what="the page")
    alertmanager.post_alerts([{**cause, "endsAt": datetime.now(UTC).isoformat()}])
    source = view[key(after["labels"])]["fingerprint"]

    def cause_gone_symptoms_held() -> dict[Any, Any] | None:
        now = {key(a["labels"]): a for a in alertmanager.alerts()}
        if key(cause["labels"]) in now:
            return None
        if any(now[key(t["labels"])]["status"]["inhibitedBy"] != [source] for t in inhibited):
            return None
        return now

    now = wait_for(cause_gone_symptoms_held, what="the cause resolved, its aftermath inhibiting")
    for target in inhibited:
        assert now[key(target["labels"])]["status"]["state"] == "suppressed"
    for other in free:
        assert now[key(other["labels"])]["status"]["inhibitedBy"] == [], other["labels"]
    expect(alertmanager, catcher, "/history", service, {cause_name})
    expect(alertmanager, catcher, "/pager", service, {cause_name})
    expect(alertmanager, catcher, "/history", elsewhere, {a for a, _ in targets})


ESCALATION_LABELS = [label for label in DISTINGUISHING_LABELS if label != "alertname"]


def test_critical_silences_only_the_warning_that_agrees_on_every_label(
    alertmanager: AlertmanagerServer, catcher: WebhookCatcher
) -> None:
    """An old critical on one check hid a new warning on another: a warning differing from the
    critical in any one distinguishing label (another check, instance, job ...) is news."""
    service = unique("svc")
    labels = {name: "a" for name in ESCALATION_LABELS if name != "service"}
    critical = alert(Alert.HEALTH_CHECK_FAILING, "critical", service, **labels)
    twin = alert(Alert.HEALTH_CHECK_FAILING, "warning", service, **labels)
    differing = [alert(Alert.HEALTH_CHECK_FAILING, "warning", unique("svc"), **labels)]
    differing += [
        alert(Alert.HEALTH_CHECK_FAILING, "warning", service, **{**labels, label: "b"})
        for label in labels
    ]
    check(alertmanager, catcher, critical, [twin], differing)


def test_fast_burn_silences_the_slow_burn_of_its_slo_only(
    alertmanager: AlertmanagerServer, catcher: WebhookCatcher
) -> None:
    service = unique("svc")
    fast = alert(Alert.ERROR_BUDGET_BURN_FAST, "critical", service, job=API, slo="availability")
    slow = _symptom(Alert.ERROR_BUDGET_BURN_SLOW, service, API, slo="availability")
    other = _symptom(Alert.ERROR_BUDGET_BURN_SLOW, service, API, slo="latency")
    check(alertmanager, catcher, fast, [slow], [other])


def test_every_inhibition_rule_has_a_test_here() -> None:
    knobs = local_knobs(pager_url="http://x", history_url="http://x", watchdog_url="http://x")
    sources = [
        tuple(rule["source_matchers"]) for rule in build_config(knobs)["inhibit_rules"]
    ]
    assert sorted(sources) == sorted([
        ('severity="critical"',),
        ('alertname="ErrorBudgetBurnFast"', 'severity="critical"'),
        ('alertname=~"ServiceDown|ServiceDownAftermath"',),
        ('alertname=~"DatabaseDown|DatabaseDownAftermath"',),
        ('alertname=~"DatabaseDown|DatabaseDownAftermath"',),
    ])
