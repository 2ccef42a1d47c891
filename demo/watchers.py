"""Everything in the local stack that watches the demo service, started in order and each
waited for: the OTLP receiver, the mail sink, the alert-history receiver, the recovery runner,
the runbooks, Alertmanager (or the HA pair's two), the exporters, the two long-term stores and
Prometheus (or its two replicas). The configuration they read is written first
(:mod:`demo.configs`)."""

from __future__ import annotations

from pathlib import Path

from alertmanager.cluster import single_flags
from demo import exporters, ha
from demo.configs import service_of
from demo.layout import DEMO_DATABASE, HISTORY_DATABASE, TELEMETRY_DATABASE, WORKER_JOB, Layout
from demo.ports import loopback
from demo.processes import Launcher, binary_path, wait_http, wait_tcp
from demo.recovery import outage_lookback, stuck_after
from prometheus import config as prometheus_config
from prometheus import knobs as prometheus_knobs
from prometheus.exporter_metrics import QUERIES_FILE

__all__ = ["start_watchers"]


def start_watchers(launch: Launcher, at: Layout, knobs: prometheus_knobs.Knobs) -> None:
    """Start every watching part of the stack (the module docstring lists them)."""
    timeout = at.options.ready_timeout
    receiver = launch.python(
        "otlp-receiver", "-m", "collector.receiver",
        "--dsn", at.database_url(TELEMETRY_DATABASE), "--port", str(at.ports.otlp),
        "--retention-hours", str(at.options.retention_hours),
        "--retention-mb", str(at.options.retention_mb),
    )  # fmt: skip
    wait_http(f"{at.otlp_url}/health", timeout, receiver.popen)
    sink = launch.python(
        "mailsink", "-m", "demo.mailsink", "--port", str(at.ports.smtp), "--dir", str(at.mail_dir)
    )
    wait_tcp(at.ports.smtp, timeout, sink)
    history = launch.python(
        "alert-history", "-m", "alertmanager.history",
        "--host", "127.0.0.1", "--port", str(at.ports.history),
        env={
            "DATABASE_URL": at.database_url(HISTORY_DATABASE),
            "PROMETHEUS_URL": at.prometheus_url,  # example trace IDs from exemplars
            "OTEL_SERVICE_NAME": "alert-history",
            "OTEL_TRACES_EXPORTER": "none",
            "OTEL_LOGS_EXPORTER": "none",
        },
    )  # fmt: skip
    wait_http(f"{at.history_url}/health/ready", timeout, history.popen)
    _start_recovery(launch, at, knobs)
    runbooks = launch.python("runbooks", "-m", "demo.runbooks", "--port", str(at.ports.runbooks))
    wait_http(f"{at.runbooks_url}/ServiceDown.md", timeout, runbooks.popen)
    _start_alertmanagers(launch, at)
    prom_dir = at.config_dir / "prometheus"
    _start_exporters(launch, at, prom_dir / QUERIES_FILE)
    _start_prometheus(launch, at, prom_dir)


def _start_recovery(launch: Launcher, at: Layout, knobs: prometheus_knobs.Knobs) -> None:
    # The runner with the project's rules and the demo's procedures (demo/recovery.py),
    # acting on the worker that starts later: it only calls the worker when it acts.
    runner = launch.python(
        "recovery-runner", "-m", "alertmanager.recovery", "--port", str(at.ports.recovery),
        env={
            "DATABASE_URL": at.database_url(HISTORY_DATABASE),
            "ALERTMANAGER_URL": at.alertmanager_url,
            "RECOVERY_PROCEDURES": "demo.recovery:procedures",
            "RECOVERY_RUNBOOK_URL": f"{at.runbooks_url}/RecoveryFailed.md",
            "RECOVERY_WEBHOOK_TOKEN_FILE": str(at.recovery_token_file),
            "DEMO_DATABASE_URL": at.database_url(),
            "DEMO_WORKER_JOBS_URL": f"{at.worker_url}/jobs",
            "DEMO_JOBS_TOKEN_FILE": str(at.jobs_token_file),
            "DEMO_WORKER_SERVICE": service_of(knobs, WORKER_JOB),
            "DEMO_RECOVERY_STUCK_AFTER": str(stuck_after(knobs)),
            "DEMO_RECOVERY_OUTAGE_LOOKBACK": str(outage_lookback(knobs)),
        },
    )  # fmt: skip
    wait_http(f"{at.recovery_url}/-/ready", at.options.ready_timeout, runner.popen)


def _start_alertmanagers(launch: Launcher, at: Layout) -> None:
    # The first Alertmanager keeps its name and data folder with or without --ha.
    pair = at.options.ha_ports
    members = [("alertmanager", at.ports.alertmanager)]
    if pair is not None:
        members.append(("alertmanager-b", pair.alertmanager_b))
    for index, (name, port) in enumerate(members):
        url = loopback(port)
        am = launch.binary(
            name,
            binary_path("prometheus-alertmanager", "alertmanager"),
            f"--config.file={at.config_dir / 'alertmanager' / 'alertmanager.yml'}",
            f"--storage.path={at.data_dir / name}",
            f"--web.listen-address=127.0.0.1:{port}",
            f"--web.external-url={url}",
            *(single_flags() if pair is None else ha.alertmanager_flags(pair, index)),
        )
        wait_http(f"{url}/-/ready", at.options.ready_timeout, am.popen)


def _start_exporters(launch: Launcher, at: Layout, queries: Path) -> None:
    timeout, ports = at.options.ready_timeout, at.ports
    node = launch.binary(
        "node-exporter", *exporters.node_exporter_argv(f"127.0.0.1:{ports.node_exporter}")
    )
    wait_http(f"{loopback(ports.node_exporter)}/metrics", timeout, node.popen)
    listen = f"127.0.0.1:{ports.postgres_exporter}"
    dsn = exporters.postgres_dsn("127.0.0.1", ports.postgres, "postgres", DEMO_DATABASE)
    pg = launch.binary(
        "postgres-exporter", *exporters.postgres_exporter_argv(listen, queries),
        env={"DATA_SOURCE_NAME": dsn},
    )
    wait_http(f"http://{listen}/metrics", timeout, pg.popen)


def _start_prometheus(launch: Launcher, at: Layout, prom_dir: Path) -> None:
    timeout = at.options.ready_timeout
    prometheus = binary_path("prometheus")
    for role, port in (("1h", at.ports.hourly), ("1d", at.ports.daily)):
        store = launch.binary(
            f"prometheus-{role}", prometheus,
            *prometheus_config.command_line(
                role, str(prom_dir / f"longterm-{role}.yml"),
                str(at.data_dir / f"prometheus-{role}"), f"127.0.0.1:{port}",
            ),
        )  # fmt: skip
        wait_http(f"{loopback(port)}/-/ready", timeout, store.popen)
    pair = at.options.ha_ports
    replicas = [("prometheus", "prometheus.yml", at.ports.prometheus)]
    if pair is not None:
        replicas = [
            (f"prometheus-{name}", f"prometheus-{name}.yml", port)
            for name, port in zip(ha.REPLICAS, (at.ports.prometheus, pair.prometheus_b),
                                  strict=True)
        ]  # fmt: skip
    for name, config, port in replicas:
        url = loopback(port)
        main = launch.binary(
            name, prometheus,
            *prometheus_config.command_line(
                "main", str(prom_dir / config), str(at.data_dir / name), f"127.0.0.1:{port}", url,
            ),
        )  # fmt: skip
        wait_http(f"{url}/-/ready", timeout, main.popen)
