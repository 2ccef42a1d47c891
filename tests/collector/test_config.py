"""The Collector configuration: fresh, every pipeline reference resolved, processors in order.

No Collector binary runs here; what only ``otelcol validate`` catches is listed in
docs/dashboards.md (unknown keys, component-level validation, env expansion).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import re2  # type: ignore[import-untyped]
import yaml

from collector import generate
from signalpost.errors.scrub import DEFAULT_SECRET_KEYS, Scrubber
from signalpost.semconv import attributes, db, health, jobs

COLLECTOR = Path(generate.__file__).parent
KINDS = ("receivers", "processors", "exporters")


def merge(base: Any, overlay: Any) -> Any:
    """The Collector's merge of several --config files: maps merge, anything else replaces."""
    if isinstance(base, dict) and isinstance(overlay, dict):
        out = dict(base)
        for key, value in overlay.items():
            out[key] = merge(base[key], value) if key in base else value
        return out
    return overlay


def load(*names: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for name in names:
        merged = merge(merged, yaml.safe_load((COLLECTOR / name).read_text()))
    return merged


def problems(cfg: dict[str, Any]) -> list[str]:
    """Every unresolved or unused reference and every misplaced processor."""
    found: list[str] = []
    pipelines = cfg["service"]["pipelines"]
    for kind in KINDS:
        defined = set(cfg.get(kind) or {})
        used = {c for p in pipelines.values() for c in p.get(kind, [])}
        found += [f"{kind}: {c} used but not defined" for c in sorted(used - defined)]
        found += [f"{kind}: {c} defined but not used" for c in sorted(defined - used)]
    ext_defined = set(cfg.get("extensions") or {})
    ext_used = set(cfg["service"].get("extensions", []))
    found += [f"extension {e} used but not defined" for e in sorted(ext_used - ext_defined)]
    found += [f"extension {e} defined but not used" for e in sorted(ext_defined - ext_used)]
    for name, pipeline in pipelines.items():
        signal = name.split("/")[0]
        if signal not in {"traces", "logs", "metrics", "profiles"}:
            found.append(f"pipeline {name}: unknown signal {signal}")
        for kind in ("receivers", "exporters"):
            if not pipeline.get(kind):
                found.append(f"pipeline {name}: no {kind}")
        processors = [p.split("/")[0] for p in pipeline.get("processors", [])]
        if not processors or processors[0] != "memory_limiter":
            found.append(f"pipeline {name}: memory_limiter is not first")
        if not processors or processors[-1] != "batch":
            found.append(f"pipeline {name}: batch is not last")
    return found


def test_generated_config_is_fresh() -> None:
    assert generate.CONFIG_PATH.read_text() == generate.render(), (
        "collector/config.yaml is stale: run python -m collector.generate"
    )


@pytest.mark.parametrize("files", [("config.yaml",), ("config.yaml", "config.debug.yaml")])
def test_every_pipeline_reference_resolves(files: tuple[str, ...]) -> None:
    cfg = load(*files)
    assert problems(cfg) == []
    assert set(cfg["service"]["pipelines"]) == {"traces", "logs"}


def test_the_checker_finds_each_kind_of_mistake() -> None:
    cfg = load("config.yaml")
    cfg["processors"]["attributes/unused"] = {}
    cfg["service"]["pipelines"]["traces"]["exporters"].append("zipkin")
    cfg["service"]["pipelines"]["logs"]["processors"] = ["batch", "memory_limiter"]
    cfg["service"]["extensions"].append("pprof")
    assert problems(cfg) == [
        "processors: attributes/unused defined but not used",
        "exporters: zipkin used but not defined",
        "extension pprof used but not defined",
        "pipeline logs: memory_limiter is not first",
        "pipeline logs: batch is not last",
    ]


def test_debug_overlay_keeps_the_real_exporters() -> None:
    base = load("config.yaml")["service"]["pipelines"]
    debug = load("config.yaml", "config.debug.yaml")["service"]["pipelines"]
    for name, pipeline in base.items():
        assert debug[name]["exporters"] == [*pipeline["exporters"], "debug"]


def test_logs_go_to_lokis_otlp_endpoint_and_traces_to_tempo() -> None:
    cfg = load("config.yaml")
    exporters = cfg["exporters"]
    assert not any(name.split("/")[0] == "loki" for name in exporters)
    assert exporters["otlphttp/loki"]["endpoint"].endswith("/otlp}")
    assert cfg["service"]["pipelines"]["traces"]["exporters"] == ["otlp/tempo"]


def test_settings_come_from_the_environment() -> None:
    text = generate.CONFIG_PATH.read_text()
    references = re.findall(r"\$\{([^}]*)\}", text)
    assert references
    assert all(ref.startswith("env:") for ref in references)


SECRET_KEYS = [
    "authorization",
    "http.request.header.authorization",
    "Set-Cookie",
    "db.password",
    "job.parameters.api_key",
    "job.parameters.api-key",
    "X-Api-Key",
    "user.session_id",
    "job.parameters.access_token",
    "accesstoken",
    "csrftoken",
    "aws_access_key_id",
    "user.password_hash",
    "http.request.header.proxy-authorization",
]
SAFE_KEYS = [
    attributes.HTTP_ROUTE,
    attributes.REQUEST_ID,
    attributes.ERROR_FINGERPRINT,
    attributes.EXCEPTION_MESSAGE,
    jobs.JOB_ID,
    jobs.JOB_PROGRESS_TOTAL,
    db.DB_QUERY_TEXT,
    health.CHECK_NAME,
    # Names that contain a secret's name without being one (substring matching took them).
    "llm.usage.prompt_tokens",
    "tokens_used",
    "session_count",
    "secret_santa_enabled",
    "key_id",
    "oauth.token_type",
    "author",
    "job.parameters.key_rotation_days",
]


@pytest.mark.parametrize("key", SECRET_KEYS + SAFE_KEYS)
def test_redaction_masks_what_the_scrubber_masks(key: str) -> None:
    (pattern,) = load("config.yaml")["processors"]["redaction"]["blocked_key_patterns"]
    # The Collector compiles it with Go's regexp (RE2 syntax); MatchString, like search, matches
    # anywhere in the key.
    compiled = re2.compile(pattern)
    assert bool(compiled.search(key)) == Scrubber().is_secret_key(key)
    assert bool(compiled.search(key)) == (key in SECRET_KEYS)


def test_redaction_covers_every_default_key() -> None:
    (pattern,) = load("config.yaml")["processors"]["redaction"]["blocked_key_patterns"]
    compiled = re2.compile(pattern)
    for key in DEFAULT_SECRET_KEYS:
        assert compiled.search(key.upper())
        assert compiled.search(f"http.request.header.{key.replace('_', '-')}")


def test_re2_rejects_what_python_alone_accepts() -> None:
    with pytest.raises(re2.error):
        re2.compile(r"(?<=://)[^@]+")
