"""The configuration the local stack writes before it starts anything: the demo's knobs with
this machine's loopback targets (:func:`stack_knobs`), and from them, by the same generators
as compose's files, Prometheus' rules and configurations and Alertmanager's routing tree
(:func:`write_configs`)."""

from __future__ import annotations

import dataclasses
import secrets
import shutil
from pathlib import Path
from typing import Any

import yaml

from alertmanager import generate as alertmanager_generate
from alertmanager import knobs as alertmanager_knobs
from demo import exporters, ha
from demo.layout import ALERTMANAGER_KNOBS, API_JOB, PROMETHEUS_KNOBS, ROOT, WORKER_JOB, Layout
from prometheus import config as prometheus_config
from prometheus import knobs as prometheus_knobs
from prometheus import targets
from prometheus.exporter_metrics import QUERIES_FILE, queries_file
from prometheus.rulefiles import rule_files

__all__ = ["make_token", "service_of", "stack_knobs", "write_configs"]


def stack_knobs(at: Layout) -> prometheus_knobs.Knobs:
    """The demo's knobs (or the test's) with the stack's loopback targets and intervals."""
    options, ports = at.options, at.ports
    base = options.prometheus_knobs or prometheus_knobs.load_knobs(PROMETHEUS_KNOBS)
    local = {API_JOB: ports.api, WORKER_JOB: ports.worker}
    services = {
        service: {job: [f"127.0.0.1:{local[job]}"] for job in jobs}
        for service, jobs in base.targets.items()
    }
    monitoring = {
        "prometheus": [f"127.0.0.1:{ports.prometheus}"],
        "alertmanager": [f"127.0.0.1:{ports.alertmanager}"],
        targets.HOURLY: [f"127.0.0.1:{ports.hourly}"],
        targets.DAILY: [f"127.0.0.1:{ports.daily}"],
        "alert-history": [f"127.0.0.1:{ports.history}"],
        "recovery-runner": [f"127.0.0.1:{ports.recovery}"],
    }
    # Alert links open the runbooks this stack serves (demo.runbooks).
    urls = {"grafana": base.urls.grafana, "runbooks": at.runbooks_url}
    intervals: dict[str, Any] = {
        key: value
        for key, value in (
            ("scrape_interval", options.scrape_interval),
            ("evaluation_interval", options.evaluation_interval),
        )
        if value is not None
    }
    local_exporters = exporters.exporter_targets(
        base.exporters,
        f"127.0.0.1:{ports.node_exporter}",
        f"127.0.0.1:{ports.postgres_exporter}",
    )
    # The knobs' own `ha` section names compose's pair; this stack has its own (or none).
    knobs = prometheus_config.with_targets(
        base, services, monitoring, exporters=local_exporters, urls=urls, ha=None,
        scrape_credentials={WORKER_JOB: str(at.jobs_token_file)}, **intervals,
    )
    if options.ha_ports is not None:
        knobs = ha.pair_knobs(knobs, options.ha_ports, ports.prometheus, ports.alertmanager)
    return knobs


def service_of(knobs: prometheus_knobs.Knobs, job: str) -> str:
    """The service name (``OTEL_SERVICE_NAME``, ``service`` label) of a scrape job."""
    return next(s for s, j in knobs.service_jobs if j == job)


def write_configs(at: Layout, knobs: prometheus_knobs.Knobs) -> None:
    """Write Prometheus' and Alertmanager's files under ``at.config_dir`` from ``knobs``
    (:func:`stack_knobs`)."""
    _write_prometheus(at, knobs)
    _write_alertmanager(at)


def make_token(path: Path) -> None:
    """Write a new random token to ``path`` (mode 0600), unless it exists."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(secrets.token_urlsafe(32) + "\n", encoding="utf-8")


def _dump(path: Path, content: Any) -> None:
    path.write_text(yaml.safe_dump(content, sort_keys=False))


def _write_prometheus(at: Layout, knobs: prometheus_knobs.Knobs) -> None:
    rollup_interval = at.options.rollup_interval
    prom_dir = at.config_dir / "prometheus"
    if prom_dir.exists():
        shutil.rmtree(prom_dir)
    (prom_dir / "rules").mkdir(parents=True)
    # The rules compose runs (demo/stack-config/), generated again from the same knobs with
    # this stack's links (runbooks on its own port).
    for name, content in rule_files(knobs).items():
        _dump(prom_dir / "rules" / name, content)
    if rollup_interval is not None:
        slow = [
            *(prom_dir / "rules").glob("rollup-*.yml"),
            prom_dir / "rules" / "slo-budget.rules.yml",
        ]
        for path in slow:
            data = yaml.safe_load(path.read_text())
            for group in data["groups"]:
                group["interval"] = rollup_interval
            _dump(path, data)
    _dump(prom_dir / QUERIES_FILE, queries_file())
    _dump(prom_dir / "prometheus.yml", prometheus_config.main_config(knobs))
    for name, replica in prometheus_config.replica_configs(knobs).items():
        _dump(prom_dir / name, replica)
    for window in ("1h", "1d"):
        longterm = prometheus_config.longterm_config(window)
        if rollup_interval is not None:
            longterm["global"]["evaluation_interval"] = rollup_interval
        (prom_dir / f"longterm-{window}.yml").write_text(yaml.safe_dump(longterm))


def _write_alertmanager(at: Layout) -> None:
    options = at.options
    am_dir = at.config_dir / "alertmanager"
    am_dir.mkdir(parents=True, exist_ok=True)
    base = alertmanager_knobs.load_knobs(ALERTMANAGER_KNOBS)
    history = f"{at.history_url}/alerts"
    am_knobs = base.with_receivers(
        templates_dir=str(ROOT / "alertmanager" / "templates"),
        timing=options.alertmanager_timing or base.timing,
        pager=dataclasses.replace(base.pager, url=options.extra_receiver_url or history),
        email=dataclasses.replace(base.email, smarthost=f"127.0.0.1:{at.ports.smtp}"),
        watchdog=dataclasses.replace(base.watchdog, url=history),
        history=dataclasses.replace(base.history, url=history),
        recovery=dataclasses.replace(
            base.recovery or alertmanager_knobs.RecoveryKnobs(url=""),
            url=f"{at.recovery_url}/alerts", credentials_file=str(at.recovery_token_file),
            # Shortened timings (tests) shorten the runner's route too.
            **({"group_interval": options.alertmanager_timing.group_interval}
               if options.alertmanager_timing else {}),
        ),
    )
    _dump(am_dir / "alertmanager.yml", alertmanager_generate.build_config(am_knobs))
