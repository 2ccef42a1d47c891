from __future__ import annotations

import re
from pathlib import Path

from prometheus_client import CollectorRegistry

from signalpost import metrics
from signalpost.semconv import ALL_METRICS, prometheus_label
from signalpost.semconv.reference import markdown_reference

ROOT = Path(__file__).resolve().parents[2]
_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


def test_names_are_unique_and_follow_prometheus_conventions() -> None:
    names = [spec.name for spec in ALL_METRICS]
    assert len(names) == len(set(names))
    for spec in ALL_METRICS:
        assert _NAME.fullmatch(spec.name), spec.name
        assert not spec.name.endswith("_total"), f"{spec.name}: counters get _total on exposition"
        if spec.unit:
            assert spec.name.endswith(f"_{spec.unit}"), f"{spec.name} should end in _{spec.unit}"
        if spec.kind == "histogram":
            assert spec.buckets and list(spec.buckets) == sorted(spec.buckets)
        for label in spec.labels:
            assert _NAME.fullmatch(label) and not label.startswith("__"), label
        assert spec.help.endswith(".")


def test_every_definition_creates_a_metric() -> None:
    registry = CollectorRegistry()
    for spec in ALL_METRICS:
        metric = metrics.metric_for(spec, registry)
        assert metrics.metric_for(spec, registry) is metric  # created once per registry


def test_label_translation() -> None:
    assert prometheus_label("http.response.status_code") == "http_response_status_code"
    assert prometheus_label("db.system-name") == "db_system_name"


def test_reference_doc_is_fresh() -> None:
    committed = (ROOT / "docs" / "metrics.md").read_text()
    assert committed == markdown_reference(), "run: python -m signalpost metrics-reference > docs/metrics.md"
