"""The knobs for your own service: every listed job is scraped, every part of the stack too,
and inconsistent knobs stop the generator with one line naming file, line, key and why."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from prometheus.config import main_config, with_targets
from prometheus.generate import HERE, main
from prometheus.knobs import Knobs, KnobsError, load_knobs
from prometheus.targets import MONITORING_JOBS
from tests.prometheus import promtool

ROOT = HERE.parent
SHOP = """\
services:
  shop:
    api: ["api-1:8000", "api-2:8000"]
    worker: ["worker:9000"]
    scheduler: ["scheduler:9100"]
  billing:
    api: ["billing:8000"]
scrape_interval: 5s
evaluation_interval: 10s
monitoring_targets:
  prometheus: ["localhost:9090"]
  alertmanager: ["am-1:9093", "am-2:9093"]
  prometheus-hourly: ["hourly:9090"]
  prometheus-daily: ["daily:9090"]
"""


def _generate(tmp_path: Path, text: str) -> tuple[dict[str, Any], str]:
    knobs = tmp_path / "knobs.yaml"
    knobs.write_text(text, encoding="utf-8")
    assert main(["--knobs", str(knobs), "--out", str(tmp_path / "out")]) == 0
    config = yaml.safe_load((tmp_path / "out" / "prometheus.yml").read_text(encoding="utf-8"))
    alerts = (tmp_path / "out" / "rules" / "alerts.rules.yml").read_text(encoding="utf-8")
    return config, alerts


def _scraped(config: dict[str, Any]) -> dict[tuple[str, str], list[str]]:
    return {
        (static["labels"]["service"], job["job_name"]): static["targets"]
        for job in config["scrape_configs"]
        for static in job["static_configs"]
    }


def test_every_job_of_every_service_is_scraped_and_watched(tmp_path: Path) -> None:
    config, alerts = _generate(tmp_path, SHOP)
    app = {k: v for k, v in _scraped(config).items() if k[0] != "monitoring"}
    assert app == {
        ("shop", "api"): ["api-1:8000", "api-2:8000"],
        ("billing", "api"): ["billing:8000"],
        ("shop", "worker"): ["worker:9000"],
        ("shop", "scheduler"): ["scheduler:9100"],
    }
    # Job names are unique in prometheus.yml: services sharing one get a static config each.
    names = [job["job_name"] for job in config["scrape_configs"]]
    assert len(names) == len(set(names))
    target_missing = next(
        line for line in alerts.splitlines() if "absent(up{" in line and "expr:" in line
    )
    for service, job in app:
        assert f'absent(up{{service="{service}", job="{job}"}})' in target_missing
    assert target_missing.count("absent(") == 4
    promtool.check("config", tmp_path / "out" / "prometheus.yml")


def test_intervals_alertmanagers_and_stores_come_from_the_knobs(tmp_path: Path) -> None:
    config, _ = _generate(tmp_path, SHOP)
    assert config["global"]["scrape_interval"] == "5s"
    assert config["global"]["evaluation_interval"] == "10s"
    (managers,) = config["alerting"]["alertmanagers"]
    assert managers["static_configs"] == [{"targets": ["am-1:9093", "am-2:9093"]}]
    assert [w["url"] for w in config["remote_write"]] == [
        "http://hourly:9090/api/v1/write",
        "http://daily:9090/api/v1/write",
    ]


def test_every_part_of_the_stack_is_scraped_with_the_monitoring_label() -> None:
    config = yaml.safe_load((HERE / "prometheus.yml").read_text(encoding="utf-8"))
    monitoring = {job for service, job in _scraped(config) if service == "monitoring"}
    assert monitoring == set(MONITORING_JOBS)
    assert set(MONITORING_JOBS) == {
        "prometheus",
        "alertmanager",
        "prometheus-hourly",
        "prometheus-daily",
        "otel-collector",
        "tempo",
        "loki",
        "recovery-runner",
    }


def _line(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("old", "new", "needle", "key", "why"),
    [
        (
            '    scheduler: ["scheduler:9100"]',
            '    scheduler: ["worker:9000"]',
            'scheduler: ["worker:9000"]',
            "services.shop.scheduler.0",
            "worker:9000 is already a target of services.shop.worker: it would be scraped twice",
        ),
        (
            '    scheduler: ["scheduler:9100"]',
            '    prometheus: ["scheduler:9100"]',
            "prometheus: [",
            "services.shop.prometheus",
            "is also a job of monitoring_targets",
        ),
        (
            "  billing:",
            "  monitoring:",
            "monitoring:",
            "services.monitoring",
            "is also monitoring_service",
        ),
        (
            '    worker: ["worker:9000"]',
            "    worker: []",
            "worker: []",
            "services.shop.worker",
            "at least 1 item",
        ),
        (
            '    worker: ["worker:9000"]',
            '    worker: ["http://worker:9000/metrics"]',
            "worker: [",
            "services.shop.worker.0",
            "String should match pattern",
        ),
        (
            "scrape_interval: 5s",
            "scrape_interval: 5 s",
            "scrape_interval",
            "scrape_interval",
            "not a Prometheus duration",
        ),
        (
            "services:\n",
            "scrape_jobs: [app, worker, scheduler]\nservices:\n",
            "scrape_jobs",
            "scrape_jobs",
            "list each service's scrape jobs and their targets under `services`",
        ),
        (
            "services:\n",
            "services: [shop, billing]\nold_services:\n",
            "services: [shop",
            "services",
            "list each service's scrape jobs and their targets under `services`",
        ),
    ],
)
def test_inconsistent_knobs_fail_with_one_line(
    tmp_path: Path, old: str, new: str, needle: str, key: str, why: str
) -> None:
    assert old in SHOP
    text = SHOP.replace(old, new, 1)
    knobs = tmp_path / "knobs.yaml"
    knobs.write_text(text, encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "prometheus.generate",
            "--knobs",
            str(knobs),
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {knobs}:{_line(text, needle)}: {key}: "), line
    assert why in line
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_unreadable_yaml_fails_with_its_line(tmp_path: Path) -> None:
    knobs = tmp_path / "knobs.yaml"
    knobs.write_text(SHOP.replace("  billing:", "  billing: [", 1), encoding="utf-8")
    with pytest.raises(KnobsError) as caught:
        load_knobs(knobs)
    assert str(caught.value).startswith(f"{knobs}:"), caught.value
    assert "\n" not in str(caught.value)


def test_with_targets_checks_the_new_targets_again() -> None:
    knobs = load_knobs()
    moved = with_targets(knobs, {"x": {"app": ["127.0.0.1:1"]}}, {}, scrape_interval="1s")
    assert isinstance(moved, Knobs)
    assert main_config(moved)["scrape_configs"] == [
        {
            "job_name": "app",
            "static_configs": [{"targets": ["127.0.0.1:1"], "labels": {"service": "x"}}],
        }
    ]
    assert "alerting" not in main_config(moved) and "remote_write" not in main_config(moved)
    with pytest.raises(ValueError, match="scraped twice"):
        with_targets(knobs, {"x": {"app": ["h:1"], "worker": ["h:1"]}})


def test_default_runbook_links_open_in_a_clone() -> None:
    rules = yaml.safe_load((HERE / "rules" / "alerts.rules.yml").read_text(encoding="utf-8"))
    links = {
        rule["annotations"]["runbook_url"]
        for group in rules["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    assert links
    for link in links:
        path, _, section = link.partition("#")  # an aftermath alert: a section of its cause's
        assert (ROOT / path).is_file(), link
        if section:
            text = (ROOT / path).read_text(encoding="utf-8")
            assert f"\n## {section.capitalize()}\n" in text, link


def test_scrape_credentials_name_a_token_file_never_a_token(tmp_path: Path) -> None:
    token = tmp_path / "worker_token"
    token.write_text("s3cret\n")
    config, _ = _generate(tmp_path, SHOP + f"scrape_credentials:\n  worker: {token}\n")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["worker"]["authorization"] == {"type": "Bearer", "credentials_file": str(token)}
    assert [name for name, job in jobs.items() if "authorization" in job] == ["worker"]
    assert "s3cret" not in (tmp_path / "out" / "prometheus.yml").read_text(encoding="utf-8")
    result = subprocess.run(
        ["promtool", "check", "config", str(tmp_path / "out" / "prometheus.yml")],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
