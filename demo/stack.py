"""The local stack: the demo service and everything that watches it, without Docker.

``python -m demo.stack`` (``bash scripts/demo.sh``) starts, in order: PostgreSQL (a cluster kept
in ``.demo-data/postgres``), the OTLP receiver that keeps the API's and the worker's traces and
logs in PostgreSQL (``collector.receiver``, read by ``python -m signalpost lookup``), the mail
sink, the alert-history receiver, Alertmanager, the two
long-term Prometheus stores, the main Prometheus, the demo API and its job worker, then the
traffic generator. Every part gets the same rules, routes and templates as the compose stack
(the demo's generated files in ``demo/stack-config/``); only addresses and receivers differ,
derived from the demo's knobs by the same generators (:func:`prometheus.config.main_config`,
:func:`alertmanager.generate.build_config`). The API and the worker run as the services the
knobs name for their scrape jobs (``demo-api`` and ``demo-worker``). Data
kept in ``.demo-data/`` survives a restart; Ctrl-C stops everything within seconds.

The end-to-end tests start the same :class:`Stack` on free ports with shortened timings.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import secrets
import shutil
import signal
import socket
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import yaml

from alertmanager import generate as alertmanager_generate
from alertmanager import knobs as alertmanager_knobs
from alertmanager.cluster import single_flags
from demo import exporters, ha
from demo.postgres import PostgresServer
from demo.processes import PortInUse, Process, ProcessGroup, port_in_use, wait_http
from demo.recovery import outage_lookback, read_token, stuck_after
from prometheus import config as prometheus_config
from prometheus import knobs as prometheus_knobs
from prometheus import targets
from prometheus.exporter_metrics import QUERIES_FILE, queries_file
from prometheus.rulefiles import rule_files

__all__ = ["Ports", "Stack", "StackOptions", "main"]

ROOT = Path(__file__).resolve().parents[1]
STACK_CONFIG = ROOT / "demo" / "stack-config"
PROMETHEUS_KNOBS = STACK_CONFIG / "prometheus" / "knobs.yaml"
ALERTMANAGER_KNOBS = STACK_CONFIG / "alertmanager" / "knobs.yaml"
API_JOB, WORKER_JOB = "app", "worker"
"""The demo's scrape jobs in its knobs: the API's and the worker's."""
DEMO_DATABASE = "recruiting"
HISTORY_DATABASE = "alerts"
TELEMETRY_DATABASE = "telemetry"
"""Where the OTLP receiver keeps spans and logs (``signalpost.cli.lookup.DEMO_DSN``)."""


@dataclass(frozen=True)
class Ports:
    """Loopback ports of the stack's parts (environment ``DEMO_PORT_<NAME>`` overrides)."""

    api: int = 8000
    worker: int = 9464
    postgres: int = 5433
    prometheus: int = 9090
    hourly: int = 9091
    daily: int = 9092
    alertmanager: int = 9093
    history: int = 9095
    smtp: int = 1025
    runbooks: int = 8088
    otlp: int = 4318
    node_exporter: int = 9100
    postgres_exporter: int = 9187
    recovery: int = 8081

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Ports:
        """Defaults, with ``DEMO_PORT_API=8080``-style overrides."""
        values = {}
        for spec in dataclasses.fields(cls):
            raw = environ.get(f"DEMO_PORT_{spec.name.upper()}")
            if raw:
                values[spec.name] = int(raw)
        return cls(**values)

    def named(self) -> dict[str, int]:
        """Port by the name of the part that listens on it."""
        return {
            "demo API": self.api,
            "job worker metrics": self.worker,
            "PostgreSQL": self.postgres,
            "Prometheus": self.prometheus,
            "long-term store (hourly)": self.hourly,
            "long-term store (daily)": self.daily,
            "Alertmanager": self.alertmanager,
            "alert-history receiver": self.history,
            "mail sink (SMTP)": self.smtp,
            "runbooks": self.runbooks,
            "OTLP receiver": self.otlp,
            "node_exporter": self.node_exporter,
            "postgres_exporter": self.postgres_exporter,
            "recovery runner": self.recovery,
        }


@dataclass(frozen=True)
class StackOptions:
    """What the end-to-end tests may shorten; the rules and the routing tree stay as they are."""

    scrape_interval: str | None = None
    evaluation_interval: str | None = None
    """None: the knobs' intervals."""
    rollup_interval: str | None = None
    """Evaluate the hourly and daily roll-up groups this often (tests); None keeps 1h and 1d."""
    prometheus_knobs: prometheus_knobs.Knobs | None = None
    """Knobs to generate the rules from (tests shorten ``for`` durations); None: the demo's
    knobs, as compose uses them."""
    alertmanager_timing: alertmanager_knobs.Timing | None = None
    extra_receiver_url: str | None = None
    """Also send pages to this webhook (tests catch notifications there)."""
    app_env: Mapping[str, str] = field(default_factory=dict)
    """Extra environment of the API and the worker (OTLP endpoint, service name, faults)."""
    traffic_rate: float = 3.0
    ready_timeout: float = 90.0
    retention_hours: float = 24.0
    """The OTLP receiver keeps this many hours of traces and logs ..."""
    retention_mb: float = 1024.0
    """... and drops its oldest hours while the store is larger than this."""
    ha_ports: ha.HaPorts | None = None
    """Run the HA pair (:mod:`demo.ha`) on these ports; None: one Prometheus, one Alertmanager."""


class Stack:
    """Starts and stops the local stack; a context manager."""

    def __init__(self, data_dir: Path, ports: Ports, options: StackOptions | None = None) -> None:
        self.data_dir = data_dir.resolve()
        self.ports = ports
        self.options = options or StackOptions()
        self.group = ProcessGroup()
        self.postgres: PostgresServer | None = None
        self.logs = self.data_dir / "logs"
        self.config_dir = self.data_dir / "config"

    # -- URLs ---------------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.api}"

    @property
    def worker_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.worker}"

    @property
    def prometheus_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.prometheus}"

    @property
    def alertmanager_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.alertmanager}"

    @property
    def history_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.history}"

    @property
    def runbooks_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.runbooks}"

    @property
    def hourly_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.hourly}"

    @property
    def daily_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.daily}"

    def database_url(self, database: str = DEMO_DATABASE) -> str:
        """libpq string of one of the stack's databases."""
        return f"host=127.0.0.1 port={self.ports.postgres} user=postgres dbname={database}"

    @property
    def recovery_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.recovery}"

    @property
    def jobs_token_file(self) -> Path:
        """The bearer token of the worker's ``/metrics`` and ``/jobs``, made at the first start:
        Prometheus scrapes and the recovery runner cancels with it."""
        return self.config_dir / "secrets" / "jobs-token"

    @property
    def recovery_token_file(self) -> Path:
        """The bearer token the recovery runner requires of its callers (Alertmanager)."""
        return self.config_dir / "secrets" / "recovery-token"

    @property
    def worker_auth(self) -> dict[str, str]:
        """Headers that open the worker's ``/metrics`` and ``/jobs``."""
        return {"Authorization": f"Bearer {read_token(self.jobs_token_file)}"}

    @property
    def otlp_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.otlp}"

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"

    # -- start and stop ----------------------------------------------------------------------

    def check_ports(self) -> None:
        """Raise :class:`PortInUse` naming the part whose port is taken."""
        ha_ports = self.options.ha_ports.named() if self.options.ha_ports else {}
        for name, port in {**self.ports.named(), **ha_ports}.items():
            if port_in_use(port):
                raise PortInUse(
                    f"{name} needs port {port}, which is in use: stop what listens there or "
                    "choose another port (DEMO_PORT_* variables, see python -m demo.stack -h)"
                )

    def start(self) -> None:
        """Start every part and wait until each is healthy."""
        self.check_ports()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        _make_token(self.jobs_token_file)
        _make_token(self.recovery_token_file)
        self._start_postgres()
        self._write_configs()
        self._start_monitoring()
        self._start_service()

    def stop(self) -> None:
        """Stop every process (the last started first), then PostgreSQL."""
        self.group.stop_all(grace=8.0)
        if self.postgres is not None and self.postgres.is_running():
            self.postgres.stop("fast")

    def __enter__(self) -> Stack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _start_postgres(self) -> None:
        self.postgres = PostgresServer(self.data_dir / "postgres", port=self.ports.postgres)
        self.postgres.start()
        with psycopg.connect(self.database_url("postgres"), autocommit=True) as conn:
            existing = {r[0] for r in conn.execute("SELECT datname FROM pg_database")}
            for name in (DEMO_DATABASE, HISTORY_DATABASE, TELEMETRY_DATABASE):
                if name not in existing:
                    conn.execute(f'CREATE DATABASE "{name}"')

    def knobs(self) -> prometheus_knobs.Knobs:
        """The demo's knobs (or the test's) with this stack's loopback targets and intervals."""
        options, ports = self.options, self.ports
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
        urls = {"grafana": base.urls.grafana, "runbooks": self.runbooks_url}
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
            scrape_credentials={WORKER_JOB: str(self.jobs_token_file)}, **intervals,
        )
        if options.ha_ports is not None:
            knobs = ha.pair_knobs(knobs, options.ha_ports, ports.prometheus, ports.alertmanager)
        return knobs

    def service_of(self, job: str) -> str:
        """The service name (``OTEL_SERVICE_NAME``, ``service`` label) of a scrape job."""
        return next(s for s, j in self.knobs().service_jobs if j == job)

    def _write_configs(self) -> None:
        options = self.options
        prom_dir = self.config_dir / "prometheus"
        if prom_dir.exists():
            shutil.rmtree(prom_dir)
        (prom_dir / "rules").mkdir(parents=True)
        # The rules compose runs (demo/stack-config/), generated again from the same knobs with
        # this stack's links (runbooks on its own port).
        knobs = self.knobs()
        for name, content in rule_files(knobs).items():
            (prom_dir / "rules" / name).write_text(yaml.safe_dump(content, sort_keys=False))
        if options.rollup_interval is not None:
            slow = [
                *(prom_dir / "rules").glob("rollup-*.yml"),
                prom_dir / "rules" / "slo-budget.rules.yml",
            ]
            for path in slow:
                data = yaml.safe_load(path.read_text())
                for group in data["groups"]:
                    group["interval"] = options.rollup_interval
                path.write_text(yaml.safe_dump(data, sort_keys=False))
        main = prometheus_config.main_config(knobs)
        (prom_dir / QUERIES_FILE).write_text(yaml.safe_dump(queries_file(), sort_keys=False))
        (prom_dir / "prometheus.yml").write_text(yaml.safe_dump(main, sort_keys=False))
        for name, replica in prometheus_config.replica_configs(knobs).items():
            (prom_dir / name).write_text(yaml.safe_dump(replica, sort_keys=False))
        for window in ("1h", "1d"):
            longterm = prometheus_config.longterm_config(window)
            if options.rollup_interval is not None:
                longterm["global"]["evaluation_interval"] = options.rollup_interval
            (prom_dir / f"longterm-{window}.yml").write_text(yaml.safe_dump(longterm))

        am_dir = self.config_dir / "alertmanager"
        am_dir.mkdir(parents=True, exist_ok=True)
        base = alertmanager_knobs.load_knobs(ALERTMANAGER_KNOBS)
        history = f"{self.history_url}/alerts"
        am_knobs = base.with_receivers(
            templates_dir=str(ROOT / "alertmanager" / "templates"),
            timing=options.alertmanager_timing or base.timing,
            pager=dataclasses.replace(base.pager, url=options.extra_receiver_url or history),
            email=dataclasses.replace(base.email, smarthost=f"127.0.0.1:{self.ports.smtp}"),
            watchdog=dataclasses.replace(base.watchdog, url=history),
            history=dataclasses.replace(base.history, url=history),
            recovery=alertmanager_knobs.RecoveryKnobs(
                url=f"{self.recovery_url}/alerts", credentials_file=str(self.recovery_token_file)
            ),
        )
        config = alertmanager_generate.build_config(am_knobs)
        (am_dir / "alertmanager.yml").write_text(yaml.safe_dump(config, sort_keys=False))

    def _python(self, name: str, *args: str, env: Mapping[str, str] | None = None) -> Process:
        process = Process(
            name,
            [sys.executable, *args],
            self.logs / f"{name}.log",
            env={"PYTHONUNBUFFERED": "1", **(env or {})},
            cwd=ROOT,
        )
        return self.group.start(process)

    def _binary(self, name: str, *argv: str) -> Process:
        return self.group.start(Process(name, list(argv), self.logs / f"{name}.log", cwd=ROOT))

    def _start_monitoring(self) -> None:
        timeout = self.options.ready_timeout
        receiver = self._python(
            "otlp-receiver",
            "-m",
            "collector.receiver",
            "--dsn",
            self.database_url(TELEMETRY_DATABASE),
            "--port",
            str(self.ports.otlp),
            "--retention-hours",
            str(self.options.retention_hours),
            "--retention-mb",
            str(self.options.retention_mb),
        )
        wait_http(f"{self.otlp_url}/health", timeout, receiver.popen)
        sink = self._python(
            "mailsink",
            "-m",
            "demo.mailsink",
            "--port",
            str(self.ports.smtp),
            "--dir",
            str(self.mail_dir),
        )
        _wait_tcp(self.ports.smtp, timeout, sink)
        history = self._python(
            "alert-history",
            "-m",
            "alertmanager.history",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.ports.history),
            env={
                "DATABASE_URL": self.database_url(HISTORY_DATABASE),
                "PROMETHEUS_URL": self.prometheus_url,  # example trace IDs from exemplars
                "OTEL_SERVICE_NAME": "alert-history",
                "OTEL_TRACES_EXPORTER": "none",
                "OTEL_LOGS_EXPORTER": "none",
            },
        )
        wait_http(f"{self.history_url}/health/ready", timeout, history.popen)
        self._start_recovery()
        runbooks = self._python(
            "runbooks", "-m", "demo.runbooks", "--port", str(self.ports.runbooks)
        )
        wait_http(f"{self.runbooks_url}/ServiceDown.md", timeout, runbooks.popen)
        self._start_alertmanagers()
        prom_dir = self.config_dir / "prometheus"
        self._start_exporters(prom_dir / QUERIES_FILE)
        prometheus = _binary_path("prometheus")
        for role, port in (("1h", self.ports.hourly), ("1d", self.ports.daily)):
            store = self._binary(
                f"prometheus-{role}",
                prometheus,
                *prometheus_config.command_line(
                    role,
                    str(prom_dir / f"longterm-{role}.yml"),
                    str(self.data_dir / f"prometheus-{role}"),
                    f"127.0.0.1:{port}",
                ),
            )
            wait_http(f"http://127.0.0.1:{port}/-/ready", timeout, store.popen)
        pair = self.options.ha_ports
        replicas = [("prometheus", "prometheus.yml", self.ports.prometheus)]
        if pair is not None:
            replicas = [
                (f"prometheus-{name}", f"prometheus-{name}.yml", port)
                for name, port in zip(ha.REPLICAS, (self.ports.prometheus, pair.prometheus_b),
                                      strict=True)
            ]  # fmt: skip
        for name, config, port in replicas:
            url = f"http://127.0.0.1:{port}"
            main = self._binary(
                name,
                prometheus,
                *prometheus_config.command_line(
                    "main", str(prom_dir / config), str(self.data_dir / name),
                    f"127.0.0.1:{port}", url,
                ),
            )  # fmt: skip
            wait_http(f"{url}/-/ready", timeout, main.popen)

    def _start_recovery(self) -> None:
        # The runner with the project's rules and the demo's procedures (demo/recovery.py),
        # acting on the worker that starts later: it only calls the worker when it acts.
        runner = self._python(
            "recovery-runner", "-m", "alertmanager.recovery", "--port", str(self.ports.recovery),
            env={
                "DATABASE_URL": self.database_url(HISTORY_DATABASE),
                "ALERTMANAGER_URL": self.alertmanager_url,
                "RECOVERY_PROCEDURES": "demo.recovery:procedures",
                "RECOVERY_RUNBOOK_URL": f"{self.runbooks_url}/RecoveryFailed.md",
                "RECOVERY_WEBHOOK_TOKEN_FILE": str(self.recovery_token_file),
                "DEMO_DATABASE_URL": self.database_url(),
                "DEMO_WORKER_JOBS_URL": f"{self.worker_url}/jobs",
                "DEMO_JOBS_TOKEN_FILE": str(self.jobs_token_file),
                "DEMO_WORKER_SERVICE": self.service_of(WORKER_JOB),
                "DEMO_RECOVERY_STUCK_AFTER": str(stuck_after(self.knobs())),
                "DEMO_RECOVERY_OUTAGE_LOOKBACK": str(outage_lookback(self.knobs())),
            },
        )
        wait_http(f"{self.recovery_url}/-/ready", self.options.ready_timeout, runner.popen)

    def _start_alertmanagers(self) -> None:
        # The first Alertmanager keeps its name and data folder with or without --ha.
        pair = self.options.ha_ports
        members = [("alertmanager", self.ports.alertmanager)]
        if pair is not None:
            members.append(("alertmanager-b", pair.alertmanager_b))
        for index, (name, port) in enumerate(members):
            url = f"http://127.0.0.1:{port}"
            am = self._binary(
                name,
                _binary_path("prometheus-alertmanager", "alertmanager"),
                f"--config.file={self.config_dir / 'alertmanager' / 'alertmanager.yml'}",
                f"--storage.path={self.data_dir / name}",
                f"--web.listen-address=127.0.0.1:{port}",
                f"--web.external-url={url}",
                *(single_flags() if pair is None else ha.alertmanager_flags(pair, index)),
            )
            wait_http(f"{url}/-/ready", self.options.ready_timeout, am.popen)

    def _start_exporters(self, queries: Path) -> None:
        timeout, ports = self.options.ready_timeout, self.ports
        node = self._binary(
            "node-exporter", *exporters.node_exporter_argv(f"127.0.0.1:{ports.node_exporter}")
        )
        wait_http(f"http://127.0.0.1:{ports.node_exporter}/metrics", timeout, node.popen)
        listen = f"127.0.0.1:{ports.postgres_exporter}"
        dsn = exporters.postgres_dsn("127.0.0.1", ports.postgres, "postgres", DEMO_DATABASE)
        pg = self.group.start(
            Process(
                "postgres-exporter",
                exporters.postgres_exporter_argv(listen, queries),
                self.logs / "postgres-exporter.log",
                env={"DATA_SOURCE_NAME": dsn},
                cwd=ROOT,
            )
        )
        wait_http(f"http://{listen}/metrics", timeout, pg.popen)

    def _start_service(self) -> None:
        timeout = self.options.ready_timeout
        common = {
            "DEMO_DATABASE_URL": self.database_url(),
            # Traces and logs go to the local OTLP receiver (python -m signalpost lookup).
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_LOGS_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_EXPORTER_OTLP_ENDPOINT": self.otlp_url,
            "SIGNALPOST_LOOKUP_DSN": self.database_url(TELEMETRY_DATABASE),  # GET /jobs/{id}
            **self.options.app_env,
        }
        api = self._python(
            "api",
            "-m",
            "uvicorn",
            "demo.api:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.ports.api),
            # The same name as the `service` label of its scrape job (metrics, traces, logs).
            env={
                "OTEL_SERVICE_NAME": self.service_of(API_JOB),
                **_instance("api", common),
                **common,
            },
        )
        wait_http(f"{self.api_url}/health/ready", timeout, api.popen)
        worker = self._python(
            "worker",
            "-m",
            "demo.worker",
            env={
                "SIGNALPOST_METRICS_PORT": str(self.ports.worker),
                "SIGNALPOST_METRICS_ADDRESS": "127.0.0.1",
                "DEMO_JOBS_TOKEN_FILE": str(self.jobs_token_file),
                "OTEL_SERVICE_NAME": self.service_of(WORKER_JOB),
                **_instance("worker", common),
                **common,
            },
        )
        wait_http(f"{self.worker_url}/health/ready", timeout, worker.popen)
        if self.options.traffic_rate > 0:
            self._python(
                "traffic",
                "-m",
                "demo.traffic",
                "--url",
                self.api_url,
                "--rate",
                str(self.options.traffic_rate),
            )

    def watch(self) -> Process | None:
        """Return a part that exited on its own (the stack is broken), else ``None``."""
        return self.group.exited()


def _binary_path(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit(
        f"demo: {names[0]} is not installed: run `bash scripts/bootstrap.sh` (Debian packages "
        "prometheus and prometheus-alertmanager), or put the binaries on PATH"
    )


def _make_token(path: Path) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(secrets.token_urlsafe(32) + "\n", encoding="utf-8")


def _wait_tcp(port: int, timeout: float, process: Process) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.popen is not None and process.popen.poll() is not None:
            raise RuntimeError(f"{process.name} exited; see {process.log}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.1)
    raise TimeoutError(f"{process.name} did not listen on port {port}")


@contextlib.contextmanager
def _signals_raise() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt, so both stop the stack the same way."""

    def interrupt(*_: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m demo.stack``."""
    parser = argparse.ArgumentParser(
        prog="python -m demo.stack",
        description="Run the demo service with Prometheus, Alertmanager and the alert history "
        "locally. Ports: DEMO_PORT_API, _WORKER, _POSTGRES, _PROMETHEUS, _HOURLY, _DAILY, "
        "_ALERTMANAGER, _HISTORY, _SMTP, _RUNBOOKS, _OTLP, _RECOVERY.",
    )
    parser.add_argument("--data", type=Path, default=ROOT / ".demo-data", help="data folder")
    parser.add_argument("--traffic", type=float, default=3.0, help="requests/s (0: none)")
    parser.add_argument("--retention-hours", type=float, default=24.0,
                        help="hours of traces and logs the OTLP receiver keeps (default 24)")
    parser.add_argument("--retention-mb", type=float, default=1024.0,
                        help="size bound of the trace and log store in MB (default 1024)")
    parser.add_argument(
        "--ha",
        action="store_true",
        help="two Prometheus replicas and two "
        "clustered Alertmanagers (docs/high-availability.md); more ports: "
        "DEMO_PORT_PROMETHEUS_B, _ALERTMANAGER_B, _GOSSIP, _GOSSIP_B",
    )
    args = parser.parse_args(argv)
    pair = ha.HaPorts.from_environ(os.environ) if args.ha else None
    options = StackOptions(
        traffic_rate=args.traffic,
        retention_hours=args.retention_hours,
        retention_mb=args.retention_mb,
        ha_ports=pair,
    )
    stack = Stack(args.data, Ports.from_environ(os.environ), options)
    with _signals_raise():
        try:
            print(f"demo: starting the local stack (logs in {stack.logs}/) ...", flush=True)
            stack.start()
            _print_urls(stack)
            while (broken := stack.watch()) is None:
                time.sleep(1.0)
            print(f"demo: {broken.name} stopped unexpectedly; see {broken.log}", file=sys.stderr)
            return 1
        except PortInUse as error:
            print(f"demo: {error}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("\ndemo: stopping ...", flush=True)
            return 0
        except (TimeoutError, RuntimeError) as error:
            print(f"demo: {error} (logs in {stack.logs}/)", file=sys.stderr)
            return 1
        finally:
            stack.stop()


def _print_urls(stack: Stack) -> None:
    print(
        "\n".join(
            [
                "demo: the stack is up (Ctrl-C stops it)",
                f"  demo API           {stack.api_url}  (X-Request-ID on every response)",
                f"  API metrics        {stack.api_url}/metrics",
                f"  worker metrics     {stack.worker_url}/metrics   running jobs: "
                f"{stack.worker_url}/jobs (bearer token in {stack.jobs_token_file})",
                f"  recovery runner    {stack.recovery_url}/metrics  (decisions: "
                "recovery_actions in the alert history)",
                f"  Prometheus         {stack.prometheus_url}/alerts",
                f"  Alertmanager       {stack.alertmanager_url}",
                *_pair_urls(stack.options.ha_ports),
                f"  long-term stores   {stack.hourly_url} (hourly), {stack.daily_url} (daily)",
                f"  exporters          http://127.0.0.1:{stack.ports.node_exporter}/metrics "
                f"(node), http://127.0.0.1:{stack.ports.postgres_exporter}/metrics (postgres)",
                f"  alert history      psql '{stack.database_url(HISTORY_DATABASE)}'",
                f"  alert emails       {stack.mail_dir}/*.eml",
                f"  runbooks           {stack.runbooks_url}/<AlertName>.md",
                "  inject a fault     .venv/bin/python -m demo.faults enable bad_data",
                "                     (or curl -X PUT "
                f"'{stack.api_url}/faults/bad_data?enabled=true')",
                "  watch jobs live    SIGNALPOST_METRICS_BEARER_TOKEN=$(cat "
                f"{stack.jobs_token_file}) .venv/bin/python -m signalpost jobs "
                f"{stack.worker_url}/jobs",
                f"  traces and logs    {stack.otlp_url} (OTLP) into "
                f"psql '{stack.database_url(TELEMETRY_DATABASE)}'",
                "  from an alert      .venv/bin/python -m signalpost runs --type resume_parsing "
                "--status failed --since 1h",
                "                     .venv/bin/python -m signalpost lookup JOB_OR_REQUEST_ID",
                *_lookup_dsn_hint(stack),
            ]
        ),
        flush=True,
    )


def _instance(name: str, env: Mapping[str, str]) -> dict[str, str]:
    """``service.instance.id``, so that lookups tell the API's spans from the worker's
    (attributes the caller sets in ``OTEL_RESOURCE_ATTRIBUTES`` come first)."""
    given = env.get("OTEL_RESOURCE_ATTRIBUTES", "")
    extra = f"service.instance.id={name}"
    return {"OTEL_RESOURCE_ATTRIBUTES": f"{given},{extra}" if given else extra}


def _lookup_dsn_hint(stack: Stack) -> list[str]:
    from signalpost.cli.lookup import DEMO_DSN

    dsn = stack.database_url(TELEMETRY_DATABASE)
    if dsn == DEMO_DSN:
        return []
    return [f"                     (with these ports: export SIGNALPOST_LOOKUP_DSN='{dsn}')"]


def _pair_urls(pair: ha.HaPorts | None) -> list[str]:
    if pair is None:
        return []
    return [
        f"  HA pair            Prometheus b http://127.0.0.1:{pair.prometheus_b}/alerts, "
        f"Alertmanager b http://127.0.0.1:{pair.alertmanager_b}",
    ]


if __name__ == "__main__":
    sys.exit(main())
