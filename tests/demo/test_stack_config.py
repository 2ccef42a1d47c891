"""The local demo stack's configuration, written without starting anything: the demo's knobs
with loopback targets, its own service names, and every part of the stack scraped."""

from __future__ import annotations

from pathlib import Path

import yaml

from demo.stack import API_JOB, WORKER_JOB, Ports, Stack
from prometheus.exporter_metrics import NODE_JOB, POSTGRES_JOB, QUERIES, QUERIES_FILE
from prometheus.targets import DAILY, HOURLY


def test_the_local_stack_scrapes_the_demo_services_and_itself_on_loopback(
    tmp_path: Path,
) -> None:
    ports = Ports(api=18000, worker=19464, prometheus=19090, hourly=19091, daily=19092,
                  alertmanager=19093, history=19095, runbooks=18088,
                  node_exporter=19100, postgres_exporter=19187, recovery=18081)  # fmt: skip
    stack = Stack(tmp_path, ports)
    assert (stack.service_of(API_JOB), stack.service_of(WORKER_JOB)) == ("demo-api", "demo-worker")
    stack.write_configs()
    config = yaml.safe_load((stack.config_dir / "prometheus" / "prometheus.yml").read_text())
    scraped = {
        (static["labels"]["service"], job["job_name"]): static["targets"]
        for job in config["scrape_configs"]
        for static in job["static_configs"]
    }
    assert scraped == {
        ("demo-api", API_JOB): ["127.0.0.1:18000"],
        ("demo-worker", WORKER_JOB): ["127.0.0.1:19464"],
        ("monitoring", "prometheus"): ["127.0.0.1:19090"],
        ("monitoring", "alertmanager"): ["127.0.0.1:19093"],
        ("monitoring", HOURLY): ["127.0.0.1:19091"],
        ("monitoring", DAILY): ["127.0.0.1:19092"],
        ("monitoring", "alert-history"): ["127.0.0.1:19095"],
        ("monitoring", "recovery-runner"): ["127.0.0.1:18081"],
        # The exporters of the stack's host and database belong to the API (the demo's knobs).
        ("demo-api", NODE_JOB): ["127.0.0.1:19100"],
        ("demo-api", POSTGRES_JOB): ["127.0.0.1:19187"],
    }
    # The worker wants its token: Prometheus reads it from the stack's file, never inline.
    (worker,) = [job for job in config["scrape_configs"] if job["job_name"] == WORKER_JOB]
    assert worker["authorization"] == {"type": "Bearer",
                                       "credentials_file": str(stack.jobs_token_file)}
    am = yaml.safe_load((stack.config_dir / "alertmanager" / "alertmanager.yml").read_text())
    (recovery,) = [r for r in am["receivers"] if r["name"] == "recovery"]
    assert recovery["webhook_configs"][0]["url"] == "http://127.0.0.1:18081/alerts"
    queries = stack.config_dir / "prometheus" / QUERIES_FILE
    assert yaml.safe_load(queries.read_text()) == QUERIES
    rules = stack.config_dir / "prometheus" / "rules" / "alerts.rules.yml"
    text = rules.read_text()
    assert "demo-api" in text and "demo-worker" in text and "signalpost-example" not in text
    # Alert links open the runbooks this stack serves.
    assert "runbook_url: http://127.0.0.1:18088/ServiceDown.md" in text
