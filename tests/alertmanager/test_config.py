"""The generated Alertmanager configuration: fresh, valid for amtool 0.25, routed as documented."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from alertmanager.generate import (
    DEFAULT_OUTPUT,
    TARGETS,
    Receiver,
    build_config,
    render,
    render_file,
)
from alertmanager.knobs import KnobsError, load_knobs, parse_knobs
from prometheus.catalog import (
    AFTERMATH,
    INHIBITED_BY_DATABASE_DOWN,
    INHIBITED_BY_SERVICE_DOWN,
    POSTED,
    Alert,
    Severity,
)
from tests.alertmanager.harness import TEMPLATES_DIR


def amtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["amtool", *args], capture_output=True, text=True, check=False)


@pytest.mark.parametrize(("knobs", "output"), TARGETS, ids=[o.name for _, o in TARGETS])
def test_committed_config_is_fresh(knobs: Path, output: Path) -> None:
    assert output.read_text(encoding="utf-8") == render_file(knobs), (
        f"alertmanager/{output.name} is stale: run python -m alertmanager.generate"
    )


def test_generator_command_writes_the_file(tmp_path: Path) -> None:
    out = tmp_path / "am.yml"
    done = subprocess.run(
        [sys.executable, "-m", "alertmanager.generate", "--knobs", str(TARGETS[0][0]),
         "--output", str(out)],
        cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_text(encoding="utf-8") == DEFAULT_OUTPUT.read_text(encoding="utf-8")


@pytest.mark.parametrize("output", [o for _, o in TARGETS], ids=[o.name for _, o in TARGETS])
def test_committed_config_passes_amtool_check_config(output: Path) -> None:
    done = amtool("check-config", str(output))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 inhibit rules" in done.stdout
    # The five of the tree and the recovery runner's (the demo stacks run one too).
    assert "6 receivers" in done.stdout


def test_local_config_has_the_same_routing_tree_and_inhibition() -> None:
    production = build_config(load_knobs(TARGETS[0][0]))
    local = build_config(load_knobs(TARGETS[1][0]))
    # The demo stacks run the recovery runner with the project's rules: the same tree.
    assert local["route"] == production["route"]
    assert local["inhibit_rules"] == production["inhibit_rules"]
    assert "auth_password_file" not in TARGETS[1][1].read_text()


def test_the_runner_hears_of_a_resolution_within_its_own_group_interval() -> None:
    """A resolved alert leaves at the group's next flush: the runner's route flushes every
    10 s, the people's every 5 minutes (a resolution starts the outage procedure)."""
    knobs = load_knobs(TARGETS[0][0])
    routes = {r["receiver"]: r for r in build_config(knobs)["route"]["routes"]}
    assert knobs.recovery is not None and knobs.timing.group_interval == "5m"
    assert routes["recovery"]["group_interval"] == knobs.recovery.group_interval == "10s"
    assert "group_interval" not in routes["critical"]


def test_config_with_chat_and_templates_passes_check_config(tmp_path: Path) -> None:
    """The chat receiver, once enabled, is valid; the real templates parse."""
    secret = tmp_path / "slack_api_url"
    secret.write_text("https://chat.example.test/hook\n")
    knobs = load_knobs()
    knobs = knobs.with_receivers(
        templates_dir=str(TEMPLATES_DIR),
        chat=type(knobs.chat)(enabled=True, api_url_file=str(secret), channel="#oncall"),
    )
    config = tmp_path / "am.yml"
    config.write_text(render(knobs))
    done = amtool("check-config", str(config))
    assert done.returncode == 0, done.stdout + done.stderr
    receivers = {r["name"]: r for r in build_config(knobs)["receivers"]}
    assert receivers["critical"]["slack_configs"][0]["api_url_file"] == str(secret)
    assert receivers["warning"]["slack_configs"][0]["api_url_file"] == str(secret)


def test_no_secret_in_generated_config() -> None:
    text = DEFAULT_OUTPUT.read_text(encoding="utf-8")
    for field in ("auth_password:", "api_url:", "routing_key:", "credentials:", "auth_secret:"):
        assert field not in text
    assert "auth_password_file: /etc/alertmanager/secrets/" in text


# One case per route of the tree, with the receivers amtool must resolve (history gets a copy
# of everything but the Watchdog).
ROUTE_CASES: dict[str, tuple[list[str], list[Receiver]]] = {
    "watchdog": ([f"alertname={Alert.WATCHDOG}", "severity=none"], [Receiver.WATCHDOG]),
    "critical": (
        [f"alertname={Alert.SERVICE_DOWN}", "severity=critical", "service=api"],
        [Receiver.HISTORY, Receiver.CRITICAL],
    ),
    "warning": (
        [f"alertname={Alert.JOB_FAILED}", "severity=warning", "service=api", "job_type=matching"],
        [Receiver.HISTORY, Receiver.WARNING],
    ),
    "info": (
        [f"alertname={Alert.JOB_STUCK}", "severity=info", "service=api", "job_type=digest"],
        [Receiver.HISTORY, Receiver.RECOVERY, Receiver.NULL],
    ),
    # The causes' aftermath alerts only inhibit: no one hears of them, not even the history.
    **{
        f"aftermath-{cause}": (
            [f"alertname={after}", "severity=info", "service=api", "job=worker"],
            [Receiver.NULL],
        )
        for cause, after in AFTERMATH.items()
    },
    "no-severity-falls-back-to-email": (
        [f"alertname={Alert.MEMORY_HIGH}", "service=api"],
        [Receiver.HISTORY, Receiver.WARNING],
    ),
}


@pytest.mark.parametrize("case", sorted(ROUTE_CASES))
def test_routes(case: str) -> None:
    labels, receivers = ROUTE_CASES[case]
    expected = ",".join(r.value for r in receivers)
    done = amtool(
        "config", "routes", "test", f"--config.file={DEFAULT_OUTPUT}",
        f"--verify.receivers={expected}", *labels,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == expected


def test_route_test_catches_a_wrong_receiver() -> None:
    done = amtool(
        "config", "routes", "test", f"--config.file={DEFAULT_OUTPUT}",
        "--verify.receivers=history,warning", "alertname=ServiceDown", "severity=critical",
    )
    assert done.returncode == 1


@pytest.mark.parametrize("output", [t[1] for t in TARGETS], ids=lambda p: p.parent.name)
def test_posted_alerts_route_by_their_catalog_severity(output: Path) -> None:
    """RecoveryFailed is posted by the recovery runner, not a rule: it pages all the same."""
    for alert, severity in POSTED.items():
        expected = [Receiver.HISTORY] + (
            [Receiver.CRITICAL] if severity == Severity.CRITICAL else [Receiver.WARNING]
        )
        verify = ",".join(r.value for r in expected)
        done = amtool("config", "routes", "test", f"--config.file={output}",
                      f"--verify.receivers={verify}", f"alertname={alert}",
                      f"severity={severity}", "service=api", "job_type=matching")
        assert done.returncode == 0, done.stdout + done.stderr


def test_every_route_has_a_case() -> None:
    routed = {route["receiver"] for route in build_config(load_knobs())["route"]["routes"]}
    tested = {r.value for _, receivers in ROUTE_CASES.values() for r in receivers}
    assert routed <= tested
    # One case per route; the history route (a copy of all but the Watchdog) is in every case,
    # the recovery route (a copy of the alerts with a recovery rule) in the info case; the
    # aftermath route has a case per aftermath alert.
    cases = len(ROUTE_CASES) - (len(AFTERMATH) - 1)
    assert cases == len(build_config(load_knobs())["route"]["routes"]) - 2


def test_grouping_and_timings() -> None:
    knobs = load_knobs()
    route = build_config(knobs)["route"]
    assert route["group_by"] == ["alertname", "service", "job_type"]
    assert route["group_wait"] == knobs.timing.group_wait
    by_receiver = {r["receiver"]: r for r in route["routes"]}
    assert by_receiver["critical"]["repeat_interval"] == knobs.timing.critical_repeat_interval
    assert route["repeat_interval"] == knobs.timing.warning_repeat_interval
    assert by_receiver["history"]["continue"] is True
    for sub in route["routes"]:
        assert "match" not in sub and "match_re" not in sub


def test_inhibition_rules_come_from_the_catalog() -> None:
    rules = build_config(load_knobs())["inhibit_rules"]
    targets = {tuple(r["source_matchers"]): r["target_matchers"] for r in rules}
    service_down = targets[('alertname=~"ServiceDown|ServiceDownAftermath"',)][0]
    assert service_down == 'alertname=~"' + "|".join(INHIBITED_BY_SERVICE_DOWN) + '"'
    database_rules = [r for r in rules if r["source_matchers"] == [
        'alertname=~"DatabaseDown|DatabaseDownAftermath"']]
    assert database_rules[0]["target_matchers"] == [
        'alertname=~"' + "|".join(INHIBITED_BY_DATABASE_DOWN) + '"'
    ]
    assert database_rules[1]["target_matchers"] == [
        f'alertname="{Alert.JOB_FAILED}"', 'error_class="transient"'
    ]
    assert all(r["equal"][:2] == ["service"] or "service" in r["equal"] for r in rules)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["timing"].update(group_wait="soon"), "timing.group_wait must be a duration"),
        (lambda d: d["receivers"]["email"].pop("to"), "receivers.email.to is required"),
        (lambda d: d["receivers"]["chat"].update(enabled="yes"), "chat.enabled must be true"),
        (lambda d: d["receivers"].update(sms={}), "unknown receiver(s): sms"),
        (lambda d: d["receivers"]["pager"].update(token="x"), "unknown key(s) in receivers.pager"),
    ],
)
def test_bad_knobs_are_named(change, message: str) -> None:
    import yaml

    from alertmanager.knobs import DEFAULT_KNOBS

    data = yaml.safe_load(DEFAULT_KNOBS.read_text())
    change(data)
    with pytest.raises(KnobsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_knobs(data, "mine.yaml")
