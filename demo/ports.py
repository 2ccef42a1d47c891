"""The local stack's loopback ports: defaults, ``DEMO_PORT_<NAME>`` overrides, and a check that
names the part whose port is taken."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from demo.processes import PortInUse, port_in_use

__all__ = ["Ports", "check_free", "from_environ", "loopback"]

_P = TypeVar("_P")


def from_environ(cls: type[_P], environ: Mapping[str, str]) -> _P:
    """An instance of the ports dataclass ``cls``: its defaults, with ``DEMO_PORT_<FIELD>``
    overrides (``DEMO_PORT_API=8080``)."""
    values: dict[str, Any] = {}
    for spec in dataclasses.fields(cls):  # type: ignore[arg-type]
        raw = environ.get(f"DEMO_PORT_{spec.name.upper()}")
        if raw:
            values[spec.name] = int(raw)
    return cls(**values)


def loopback(port: int) -> str:
    """The HTTP URL of ``port`` on 127.0.0.1."""
    return f"http://127.0.0.1:{port}"


def check_free(named: Mapping[str, int]) -> None:
    """Raise :class:`PortInUse` naming the first part (``named``: port by part) whose port is
    taken."""
    for name, port in named.items():
        if port_in_use(port):
            raise PortInUse(
                f"{name} needs port {port}, which is in use: stop what listens there or "
                "choose another port (DEMO_PORT_* variables, see python -m demo.stack -h)"
            )


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
        return from_environ(cls, environ)

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
