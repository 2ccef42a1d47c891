"""The committed files are what the generator writes, and Prometheus's own tools accept them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from prometheus.generate import HERE, main, render
from prometheus.knobs import DEFAULT_KNOBS, load_knobs


def test_committed_files_are_fresh() -> None:
    stale = [
        rel
        for rel, text in render(load_knobs(), with_tests=True).items()
        if not (HERE / rel).is_file() or (HERE / rel).read_text(encoding="utf-8") != text
    ]
    assert not stale, f"run `python -m prometheus.generate`; stale: {stale}"


def test_no_stray_generated_files() -> None:
    expected = set(render(load_knobs(), with_tests=True))
    on_disk = {
        str(p.relative_to(HERE)) for sub in ("rules", "tests") for p in (HERE / sub).glob("*.yml")
    }
    assert on_disk <= expected, f"not generated any more: {sorted(on_disk - expected)}"


def test_promtool_check_config() -> None:
    for name in ("prometheus.yml", "longterm-1h.yml", "longterm-1d.yml"):
        result = subprocess.run(
            ["promtool", "check", "config", str(HERE / name)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_check_rules() -> None:
    files = sorted(str(p) for p in (HERE / "rules").glob("*.rules.yml"))
    assert len(files) == 6
    result = subprocess.run(
        ["promtool", "check", "rules", *files], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_own_request_buckets_allow_their_thresholds(tmp_path: Path) -> None:
    text = (
        DEFAULT_KNOBS.read_text(encoding="utf-8")
        .replace("  fast_for: 2m", "  request_duration_buckets: [0.1, 0.3, 1.0]\n  fast_for: 2m")
        .replace("threshold_seconds: 0.5}", "threshold_seconds: 0.3}")
    )
    own = tmp_path / "knobs.yaml"
    own.write_text(text, encoding="utf-8")
    assert main(["--knobs", str(own), "--out", str(tmp_path / "out")]) == 0
    slo = (tmp_path / "out" / "rules" / "slo.rules.yml").read_text(encoding="utf-8")
    assert 'le="0.3"' in slo


def test_generate_for_own_knobs_writes_rules_and_config(tmp_path: Path) -> None:
    own = tmp_path / "knobs.yaml"
    text = DEFAULT_KNOBS.read_text(encoding="utf-8").replace(
        "services: [signalpost-example]", "services: [shop-api, shop-worker]"
    )
    own.write_text(text, encoding="utf-8")
    assert main(["--knobs", str(own), "--out", str(tmp_path / "out")]) == 0
    alerts = (tmp_path / "out" / "rules" / "alerts.rules.yml").read_text(encoding="utf-8")
    assert 'service=~"shop-api|shop-worker"' in alerts
    assert not (tmp_path / "out" / "tests").exists()
    # check config also checks every rule file it names.
    result = subprocess.run(
        ["promtool", "check", "config", str(tmp_path / "out" / "prometheus.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("threshold_seconds: 0.5}", "threshold_seconds: 0.3}", "not a bucket boundary"),
        ("escalate_after: 30m\n    quantile", "escalate_after: 5m\n    quantile", "must exceed"),
        ("window: 30d", "window: 30 days", "not a Prometheus duration"),
        ("target: 0.999}", "target: 1.5}", "less than 1"),
        (
            "  fast_for: 2m",
            "  request_duration_buckets: [0.1, 0.3]\n  fast_for: 2m",
            "not a bucket boundary",
        ),
        ("kind: job_success, job_type: matching,", "kind: job_success,", "job_type is required"),
        ("services: [signalpost-example]", "services: []", "at least 1 item"),
        ("  service_down: {for: 1m}", "  service_down: {for: 1m, typo: 1}", "Extra inputs"),
    ],
)
def test_invalid_knobs_fail_generation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, message: str
) -> None:
    text = DEFAULT_KNOBS.read_text(encoding="utf-8")
    assert old in text
    own = tmp_path / "knobs.yaml"
    own.write_text(text.replace(old, new), encoding="utf-8")
    assert main(["--knobs", str(own), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err and str(own) in err
    assert not (tmp_path / "out").exists()


def test_addresses_for_a_local_stack(tmp_path: Path) -> None:
    out = tmp_path / "out"
    argv = ["--out", str(out), "--address", "app=127.0.0.1:8000", "--address", "hourly=h:1"]
    assert main(argv) == 0
    config = yaml.safe_load((out / "prometheus.yml").read_text(encoding="utf-8"))
    targets = {c["job_name"]: c["static_configs"][0]["targets"] for c in config["scrape_configs"]}
    assert targets["app"] == ["127.0.0.1:8000"]
    assert targets["worker"] == ["worker:8000"]
    assert config["remote_write"][0]["url"] == "http://h:1/api/v1/write"
    assert not (out / "tests").exists()


@pytest.mark.parametrize("bad", ["app", "db=host:1", "app=nohost"])
def test_bad_address_fails_generation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    assert main(["--out", str(tmp_path / "out"), "--address", bad]) == 2
    assert "expected NAME=HOST:PORT" in capsys.readouterr().err
