"""The metric names a PromQL expression selects, and the series each Prometheus of the stack has."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from grafana import queries as q
from prometheus.exporter_knobs import EXPORTER_JOBS
from prometheus.exporter_metrics import EXPORTED_SERIES
from prometheus.knobs import load_knobs
from prometheus.targets import DAILY, HOURLY
from signalpost.semconv import ALL_METRICS

__all__ = ["emitted_series", "metric_names", "series_by_host"]

PROMETHEUS_DIR = Path(__file__).resolve().parents[2] / "prometheus"
STORES = load_knobs().monitoring_targets
MAIN = "prometheus:9090"
"""Where Grafana and the other components reach the main Prometheus in the compose stack."""
_KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan"}
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")


def metric_names(expr: str) -> set[str]:
    """Every metric name ``expr`` selects (variables already filled in)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", "{}", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    text = _GROUPING.sub("", text)
    names = set()
    for match in re.finditer(r"(?<![\w.])([A-Za-z_:][A-Za-z0-9_:]*)\s*(\(?)", text):
        token, call = match.groups()
        if call or token.lower() in _KEYWORDS:
            continue
        names.add(token)
    return names


def emitted_series() -> set[str]:
    """Every series name signalpost's own metrics expose."""
    out: set[str] = set()
    for spec in ALL_METRICS:
        if spec.kind == "counter":
            out.add(spec.exposition_name)
        elif spec.kind == "histogram":
            out |= {f"{spec.name}_{suffix}" for suffix in ("bucket", "count", "sum")}
        else:
            out.add(spec.name)
    return out


def _records(config_file: Path, config: dict[str, Any]) -> set[str]:
    names = set()
    for rule_file in config.get("rule_files", []):
        groups = yaml.safe_load((config_file.parent / rule_file).read_text())["groups"]
        names |= {rule["record"] for group in groups for rule in group["rules"] if "record" in rule}
    return names


@functools.cache
def series_by_host() -> dict[str, set[str]]:
    """``host:port`` of each Prometheus in the compose stack → the series names it holds.

    The main instance: what signalpost emits, what the monitoring stack writes and its recording
    rules. A long-term store: what the main instance remote-writes to it (after its relabelling)
    and its own recording rules.
    """
    main_file = PROMETHEUS_DIR / "prometheus.yml"
    main = yaml.safe_load(main_file.read_text())
    main_series = emitted_series() | q.STACK_METRICS | _records(main_file, main)
    if any(job["job_name"] in EXPORTER_JOBS for job in main["scrape_configs"]):
        main_series |= EXPORTED_SERIES
    out = {MAIN: main_series}
    for remote in main.get("remote_write", []):
        host = urlsplit(remote["url"]).netloc
        kept = set(main_series)
        for relabel in remote.get("write_relabel_configs", []):
            if relabel.get("source_labels") == ["__name__"] and relabel["action"] == "keep":
                kept = {n for n in kept if re.fullmatch(relabel["regex"], n)}
        out[host] = kept
    for store_file in sorted(PROMETHEUS_DIR.glob("longterm-*.yml")):
        store = yaml.safe_load(store_file.read_text())
        label = store["global"]["external_labels"]["prometheus"]
        host = {"longterm-1h": STORES[HOURLY][0], "longterm-1d": STORES[DAILY][0]}[label]
        out[host] = out.get(host, set()) | _records(store_file, store)
    return out
