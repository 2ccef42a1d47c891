"""Prometheus configurations: the main instance and the two long-term stores.

Addresses are parameters (:class:`Addresses`): the committed files use the compose stack's
service names; a local stack or a test calls :func:`main_config` with its own. The command-line
flags each instance needs (retention, exemplar storage, remote-write receiver) are in
:func:`command_line`, for compose and for tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from prometheus import recording as r
from prometheus.knobs import Knobs

__all__ = [
    "COMPOSE",
    "RETENTION",
    "RULE_FILES",
    "Addresses",
    "command_line",
    "config_files",
    "longterm_config",
    "main_config",
    "parse_addresses",
]

RULE_FILES: tuple[str, ...] = (
    "rules/recording.rules.yml",
    "rules/rollup-1h.rules.yml",
    "rules/rollup-1d.rules.yml",
    "rules/slo.rules.yml",
    "rules/slo-budget.rules.yml",
    "rules/alerts.rules.yml",
)
"""Rule files of the main instance, relative to its configuration file."""

RETENTION: dict[str, str] = {"main": "7d", "1h": "30d", "1d": "365d"}
"""Retention of raw data (main) and of hourly and daily roll-ups (long-term stores)."""


@dataclass(frozen=True, slots=True)
class Addresses:
    """``host:port`` of every component the main Prometheus talks to (compose names default)."""

    app: str = "app:8000"
    worker: str = "worker:8000"
    prometheus: str = "localhost:9090"
    alertmanager: str = "alertmanager:9093"
    hourly: str = "prometheus-hourly:9090"
    daily: str = "prometheus-daily:9090"


COMPOSE = Addresses()
"""The compose stack's addresses: the committed prometheus.yml uses them."""


def _scrape(job: str, target: str, service: str) -> dict[str, Any]:
    return {
        "job_name": job,
        "static_configs": [{"targets": [target], "labels": {"service": service}}],
    }


def main_config(
    knobs: Knobs,
    addresses: Addresses = COMPOSE,
    *,
    scrape_interval: str = "15s",
    evaluation_interval: str = "30s",
    rule_files: tuple[str, ...] = RULE_FILES,
) -> dict[str, Any]:
    """The main Prometheus: scrapes, rules, Alertmanager, and remote write of the roll-ups.

    The app and the job worker get the first knobs ``services`` value as their ``service``
    label; Prometheus, Alertmanager and the long-term stores get ``monitoring_service``.
    """
    service, monitoring = knobs.services[0], knobs.monitoring_service
    jobs = dict(zip(knobs.scrape_jobs, (addresses.app, addresses.worker), strict=False))
    return {
        "global": {
            "scrape_interval": scrape_interval,
            "evaluation_interval": evaluation_interval,
            "external_labels": {"prometheus": "main"},
        },
        "rule_files": list(rule_files),
        "alerting": {
            "alertmanagers": [{"static_configs": [{"targets": [addresses.alertmanager]}]}]
        },
        "scrape_configs": [
            *(_scrape(job, target, service) for job, target in jobs.items()),
            _scrape("prometheus", addresses.prometheus, monitoring),
            _scrape("alertmanager", addresses.alertmanager, monitoring),
            {
                "job_name": "longterm",
                "static_configs": [
                    {
                        "targets": [addresses.hourly, addresses.daily],
                        "labels": {"service": monitoring},
                    }
                ],
            },
        ],
        "remote_write": [
            {
                "name": f"rollup-{window}",
                "url": f"http://{address}/api/v1/write",
                "write_relabel_configs": [
                    {
                        "source_labels": ["__name__"],
                        "regex": r.rollup_regex(window),
                        "action": "keep",
                    }
                ],
            }
            for window, address in (("1h", addresses.hourly), ("1d", addresses.daily))
        ],
    }


def longterm_config(
    window: str, *, rule_files: tuple[str, ...] = ("rules/slo-budget.rules.yml",)
) -> dict[str, Any]:
    """A long-term store: receives one roll-up tier by remote write and keeps it (see flags).

    The hourly store also evaluates the error budget over the whole SLO window, which the main
    instance's 7-day retention cannot hold.
    """
    return {
        "global": {
            "scrape_interval": "1m",
            "evaluation_interval": "1h",
            "external_labels": {"prometheus": f"longterm-{window}"},
        },
        "rule_files": list(rule_files) if window == "1h" else [],
        "scrape_configs": [],
    }


def command_line(role: str, config: str, storage: str, listen: str) -> list[str]:
    """Flags of one instance: ``role`` is ``main``, ``1h`` or ``1d``.

    The main instance stores exemplars (``--enable-feature=exemplar-storage``) and keeps raw
    samples 7 days; the stores accept remote write and keep their tier 30 days or a year.
    """
    flags = [
        f"--config.file={config}",
        f"--storage.tsdb.path={storage}",
        f"--storage.tsdb.retention.time={RETENTION[role]}",
        f"--web.listen-address={listen}",
    ]
    if role == "main":
        flags.append("--enable-feature=exemplar-storage")
    else:
        flags.append("--web.enable-remote-write-receiver")
    return flags


def parse_addresses(pairs: list[str]) -> Addresses:
    """:class:`Addresses` from ``name=host:port`` pairs (the rest keep the compose defaults).

    Raises:
        ValueError: A pair is malformed or names no component.
    """
    known = set(Addresses.__dataclass_fields__)
    chosen: dict[str, str] = {}
    for pair in pairs:
        name, sep, address = pair.partition("=")
        if not sep or name not in known or ":" not in address:
            raise ValueError(
                f"--address {pair!r}: expected NAME=HOST:PORT with NAME one of {sorted(known)}"
            )
        chosen[name] = address
    return Addresses(**chosen)


def config_files(knobs: Knobs, addresses: Addresses = COMPOSE) -> dict[str, dict[str, Any]]:
    """The configurations: the committed ones use the compose stack's addresses."""
    return {
        "prometheus.yml": main_config(knobs, addresses),
        "longterm-1h.yml": longterm_config("1h"),
        "longterm-1d.yml": longterm_config("1d"),
    }
