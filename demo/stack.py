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

The end-to-end tests start the same :class:`Stack` on free ports with shortened timings. Where
the parts are: :mod:`demo.layout` and :mod:`demo.ports`; the files they read:
:mod:`demo.configs`; the watching parts: :mod:`demo.watchers`; the printout: :mod:`demo.printout`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import psycopg

from demo import configs, ha
from demo.layout import (
    ALERTMANAGER_KNOBS,
    API_JOB,
    DEMO_DATABASE,
    HISTORY_DATABASE,
    PROMETHEUS_KNOBS,
    ROOT,
    TELEMETRY_DATABASE,
    WORKER_JOB,
    Layout,
    StackOptions,
)
from demo.ports import Ports, check_free
from demo.postgres import PostgresServer
from demo.printout import print_urls
from demo.processes import Launcher, PortInUse, Process, ProcessGroup, wait_http
from demo.watchers import start_watchers
from prometheus import knobs as prometheus_knobs

__all__ = [
    "ALERTMANAGER_KNOBS",
    "API_JOB",
    "HISTORY_DATABASE",
    "PROMETHEUS_KNOBS",
    "TELEMETRY_DATABASE",
    "WORKER_JOB",
    "Ports",
    "Stack",
    "StackOptions",
    "main",
]


class Stack(Layout):
    """Starts and stops the local stack; a context manager (its addresses: :class:`Layout`)."""

    def __init__(self, data_dir: Path, ports: Ports, options: StackOptions | None = None) -> None:
        super().__init__(data_dir, ports, options)
        self.group = ProcessGroup()
        self.launch = Launcher(self.group, self.logs, ROOT)
        self.postgres: PostgresServer | None = None

    def check_ports(self) -> None:
        """Raise :class:`PortInUse` naming the part whose port is taken."""
        ha_ports = self.options.ha_ports.named() if self.options.ha_ports else {}
        check_free({**self.ports.named(), **ha_ports})

    def start(self) -> None:
        """Start every part and wait until each is healthy."""
        self.check_ports()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        configs.make_token(self.jobs_token_file)
        configs.make_token(self.recovery_token_file)
        self._start_postgres()
        knobs = self.knobs()
        configs.write_configs(self, knobs)
        start_watchers(self.launch, self, knobs)
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

    def knobs(self) -> prometheus_knobs.Knobs:
        """The demo's knobs (or the test's) with this stack's loopback targets and intervals."""
        return configs.stack_knobs(self)

    def service_of(self, job: str) -> str:
        """The service name (``OTEL_SERVICE_NAME``, ``service`` label) of a scrape job."""
        return configs.service_of(self.knobs(), job)

    def write_configs(self) -> None:
        """Write Prometheus' and Alertmanager's files (:mod:`demo.configs`); no process starts."""
        configs.write_configs(self, self.knobs())

    def watch(self) -> Process | None:
        """Return a part that exited on its own (the stack is broken), else ``None``."""
        return self.group.exited()

    def _start_postgres(self) -> None:
        self.postgres = PostgresServer(self.data_dir / "postgres", port=self.ports.postgres)
        self.postgres.start()
        with psycopg.connect(self.database_url("postgres"), autocommit=True) as conn:
            existing = {r[0] for r in conn.execute("SELECT datname FROM pg_database")}
            for name in (DEMO_DATABASE, HISTORY_DATABASE, TELEMETRY_DATABASE):
                if name not in existing:
                    conn.execute(f'CREATE DATABASE "{name}"')

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
        api = self.launch.python(
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
        worker = self.launch.python(
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
            self.launch.python(
                "traffic",
                "-m",
                "demo.traffic",
                "--url",
                self.api_url,
                "--rate",
                str(self.options.traffic_rate),
            )


def _instance(name: str, env: Mapping[str, str]) -> dict[str, str]:
    """``service.instance.id``, so that lookups tell the API's spans from the worker's
    (attributes the caller sets in ``OTEL_RESOURCE_ATTRIBUTES`` come first)."""
    given = env.get("OTEL_RESOURCE_ATTRIBUTES", "")
    extra = f"service.instance.id={name}"
    return {"OTEL_RESOURCE_ATTRIBUTES": f"{given},{extra}" if given else extra}


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
            print_urls(stack)
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


if __name__ == "__main__":
    sys.exit(main())
