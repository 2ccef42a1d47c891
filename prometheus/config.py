"""Prometheus configurations: the main instance and the two long-term stores.

Everything comes from the knobs: every service's scrape jobs and targets, the monitoring
stack's parts, the intervals. A local stack or a test derives knobs with its own targets
(:func:`with_targets`). The command-line flags each instance needs (retention, exemplar
storage, remote-write receiver, external URL) are in :func:`command_line`, for compose and for
tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from prometheus import ha
from prometheus import recording as r
from prometheus.exporter_metrics import QUERIES_FILE, queries_file
from prometheus.knobs import Knobs
from prometheus.targets import DAILY, HOURLY, ordered_jobs

__all__ = [
    "RETENTION",
    "RULE_FILES",
    "command_line",
    "config_files",
    "longterm_config",
    "main_config",
    "replica_configs",
    "with_targets",
]

RULE_FILES: tuple[str, ...] = (
    "rules/recording.rules.yml",
    "rules/rollup-1h.rules.yml",
    "rules/rollup-1d.rules.yml",
    "rules/slo.rules.yml",
    "rules/slo-budget.rules.yml",
    "rules/alerts.rules.yml",
    "rules/exporters.rules.yml",
)
"""Rule files of the main instance, relative to its configuration file."""

RETENTION: dict[str, str] = {"main": "7d", "1h": "30d", "1d": "365d"}
"""Retention of raw data (main) and of hourly and daily roll-ups (long-term stores)."""


def with_targets(
    knobs: Knobs,
    services: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
    monitoring: Mapping[str, Sequence[str]] | None = None,
    *,
    exporters: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
    **changes: Any,
) -> Knobs:
    """The knobs with other targets (and other top-level knobs), validated again.

    Args:
        knobs: The knobs to start from.
        services: Replaces ``services`` (service → job → targets) when given, and drops the
            exporters' targets (they name hosts of the old targets) unless ``exporters`` is given.
        monitoring: Replaces ``monitoring_targets`` when given.
        exporters: Replaces ``exporters.services`` (service → ``node``/``postgres`` → targets).
        **changes: Other top-level knobs by their file key (``scrape_interval="1s"``).
    """
    data = knobs.model_dump(by_alias=True)
    if services is not None:
        data["services"] = services
        data["exporters"]["services"] = {}
    if exporters is not None:
        data["exporters"]["services"] = exporters
    if monitoring is not None:
        data["monitoring_targets"] = monitoring
    data.update(changes)
    return Knobs.model_validate(data)


def _static(targets: Sequence[str], label: str, service: str) -> dict[str, Any]:
    # With `service_label: job` the scrape job's own name already names the service.
    labels = {} if label == "job" else {label: service}
    return {"targets": list(targets), "labels": labels}


def _scrape_configs(knobs: Knobs) -> list[dict[str, Any]]:
    # One scrape config per job name (Prometheus wants them unique); services sharing a job
    # name get a static config each, with their own `service` label.
    configs: list[dict[str, Any]] = [
        {
            "job_name": job,
            "static_configs": [
                _static(jobs[job], knobs.service_label, service)
                for service, jobs in knobs.targets.items()
                if job in jobs
            ],
        }
        for job in ordered_jobs(knobs.targets)
    ]
    monitoring = knobs.monitoring_service
    configs += [
        {"job_name": job, "static_configs": [_static(targets, knobs.service_label, monitoring)]}
        for job, targets in knobs.monitoring_targets.items()
    ]
    configs += [
        {
            "job_name": job,
            "static_configs": [
                _static(targets, knobs.service_label, service)
                for service, targets in knobs.exporters.targets(job).items()
            ],
        }
        for job in knobs.exporters.jobs
    ]
    for config in configs:
        credentials = knobs.scrape_credentials.get(str(config["job_name"]))
        if credentials is not None:
            config["authorization"] = {"type": "Bearer", "credentials_file": credentials}
    return configs


def main_config(knobs: Knobs, *, rule_files: tuple[str, ...] = RULE_FILES) -> dict[str, Any]:
    """The main Prometheus: scrapes, rules, Alertmanager, and remote write of the roll-ups.

    Every job of every service is scraped with the service's name as its ``service_label``;
    the monitoring stack's parts get ``monitoring_service``. Alerts go to every
    ``alertmanager`` target; the hourly and daily roll-ups are written to the
    ``prometheus-hourly`` and ``prometheus-daily`` targets.
    """
    config: dict[str, Any] = {
        "global": {
            "scrape_interval": knobs.scrape_interval,
            "evaluation_interval": knobs.evaluation_interval,
            "external_labels": {"prometheus": "main"},
        },
        "rule_files": list(rule_files),
    }
    alertmanagers = knobs.monitoring_targets.get("alertmanager", ())
    if alertmanagers:
        config["alerting"] = {
            "alertmanagers": [{"static_configs": [{"targets": list(alertmanagers)}]}]
        }
    config["scrape_configs"] = _scrape_configs(knobs)
    writes = [
        {
            "name": f"rollup-{window}" + (f"-{index}" if index else ""),
            "url": f"http://{address}/api/v1/write",
            "write_relabel_configs": [
                {
                    "source_labels": ["__name__"],
                    "regex": r.rollup_regex(window),
                    "action": "keep",
                }
            ],
        }
        for window, job in (("1h", HOURLY), ("1d", DAILY))
        for index, address in enumerate(knobs.monitoring_targets.get(job, ()))
    ]
    if writes:
        config["remote_write"] = writes
    return config


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


def command_line(
    role: str, config: str, storage: str, listen: str, external_url: str | None = None
) -> list[str]:
    """Flags of one instance: ``role`` is ``main``, ``1h`` or ``1d``.

    The main instance stores exemplars (``--enable-feature=exemplar-storage``) and keeps raw
    samples 7 days; the stores accept remote write and keep their tier 30 days or a year.
    ``external_url`` is the address people open (alert and notification links use it).
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
    if external_url is not None:
        flags.append(f"--web.external-url={external_url}")
    return flags


def config_files(knobs: Knobs) -> dict[str, dict[str, Any]]:
    """The configurations of the main instance and the long-term stores, by file name."""
    return {
        "prometheus.yml": main_config(knobs),
        "longterm-1h.yml": longterm_config("1h"),
        "longterm-1d.yml": longterm_config("1d"),
        QUERIES_FILE: queries_file(),
        **replica_configs(knobs),
    }


def replica_configs(knobs: Knobs) -> dict[str, dict[str, Any]]:
    """One configuration per Prometheus replica when the knobs have an ``ha`` section, by
    file name (:func:`prometheus.ha.replica_file`); none otherwise."""
    if knobs.ha is None:
        return {}
    main = main_config(
        with_targets(knobs, monitoring=knobs.ha.monitoring(knobs.monitoring_targets))
    )
    return {
        ha.replica_file(name): ha.replica_config(
            main, name, label=knobs.ha.replica_label, remote_write=index == 0
        )
        for index, name in enumerate(knobs.ha.replicas)
    }
