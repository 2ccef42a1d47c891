"""Where the local stack's parts are: its folders, URLs, databases and token files, and what the
end-to-end tests may change (:class:`StackOptions`). Nothing here starts anything."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from alertmanager import knobs as alertmanager_knobs
from demo import ha
from demo.ports import Ports, loopback
from demo.recovery import read_token
from prometheus import knobs as prometheus_knobs

__all__ = [
    "ALERTMANAGER_KNOBS",
    "API_JOB",
    "DEMO_DATABASE",
    "HISTORY_DATABASE",
    "PROMETHEUS_KNOBS",
    "ROOT",
    "TELEMETRY_DATABASE",
    "WORKER_JOB",
    "Layout",
    "StackOptions",
]

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


class Layout:
    """The stack's addresses and files, from its data folder, ports and options."""

    def __init__(self, data_dir: Path, ports: Ports, options: StackOptions | None = None) -> None:
        self.data_dir = data_dir.resolve()
        self.ports = ports
        self.options = options or StackOptions()
        self.logs = self.data_dir / "logs"
        self.config_dir = self.data_dir / "config"

    @property
    def api_url(self) -> str:
        return loopback(self.ports.api)

    @property
    def worker_url(self) -> str:
        return loopback(self.ports.worker)

    @property
    def prometheus_url(self) -> str:
        return loopback(self.ports.prometheus)

    @property
    def alertmanager_url(self) -> str:
        return loopback(self.ports.alertmanager)

    @property
    def history_url(self) -> str:
        return loopback(self.ports.history)

    @property
    def runbooks_url(self) -> str:
        return loopback(self.ports.runbooks)

    @property
    def hourly_url(self) -> str:
        return loopback(self.ports.hourly)

    @property
    def daily_url(self) -> str:
        return loopback(self.ports.daily)

    @property
    def recovery_url(self) -> str:
        return loopback(self.ports.recovery)

    @property
    def otlp_url(self) -> str:
        return loopback(self.ports.otlp)

    def database_url(self, database: str = DEMO_DATABASE) -> str:
        """libpq string of one of the stack's databases."""
        return f"host=127.0.0.1 port={self.ports.postgres} user=postgres dbname={database}"

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
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"
