"""The committed files are what the generator writes, and Prometheus's own tools accept them."""

from __future__ import annotations

from pathlib import Path

import pytest

from prometheus.generate import DEMO_DIR, HERE, TARGETS, main, render
from prometheus.knobs import DEFAULT_KNOBS, load_knobs
from prometheus.rulefiles import rule_files
from tests.prometheus import promtool


@pytest.mark.parametrize(("knobs", "out", "with_tests"), TARGETS)
def test_committed_files_are_fresh(knobs: Path, out: Path, with_tests: bool) -> None:
    stale = [
        str(out / rel)
        for rel, text in render(load_knobs(knobs), with_tests=with_tests).items()
        if not (out / rel).is_file() or (out / rel).read_text(encoding="utf-8") != text
    ]
    assert not stale, f"run `python -m prometheus.generate`; stale: {stale}"


def test_the_demo_has_its_own_knobs_and_files() -> None:
    assert [t[:2] for t in TARGETS] == [(DEFAULT_KNOBS, HERE), (DEMO_DIR / "knobs.yaml", DEMO_DIR)]
    demo = {f"{service}/{job}" for service, job in load_knobs(DEMO_DIR / "knobs.yaml").service_jobs}
    assert demo == {"demo-api/app", "demo-worker/worker"}
    # The product's committed files name no demo service.
    for path in [HERE / "prometheus.yml", *(HERE / "rules").glob("*.yml")]:
        text = path.read_text(encoding="utf-8")
        assert "demo-" not in text and "signalpost-example" not in text, path


def test_no_stray_generated_files() -> None:
    for knobs, out, with_tests in TARGETS:
        expected = set(render(load_knobs(knobs), with_tests=with_tests))
        on_disk = {
            str(p.relative_to(out)) for sub in ("rules", "tests", "tests/rules") for p in (out / sub).glob("*.yml")
        }
        assert on_disk <= expected, f"not generated any more: {sorted(on_disk - expected)}"


@pytest.mark.parametrize("out", [HERE, DEMO_DIR])
def test_promtool_check_config(out: Path) -> None:
    # The demo's configs name compose secrets (scrape credentials) that exist only in the
    # containers: tests/compose checks them in full with stand-in files.
    syntax = ["--syntax-only"] if out == DEMO_DIR else []
    for name in ("prometheus.yml", "longterm-1h.yml", "longterm-1d.yml"):
        promtool.check("config", *syntax, out / name)


@pytest.mark.parametrize("folder", ["rules", "tests/rules"])
def test_promtool_check_rules(folder: str) -> None:
    files = sorted(str(p) for p in (HERE / folder).glob("*.rules.yml"))
    assert len(files) == len(rule_files(load_knobs()))
    promtool.check("rules", *files)


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
        "services:\n  my-service:\n", "services:\n  shop-api:\n    api: [api:80]\n  shop-worker:\n"
    )
    own.write_text(text, encoding="utf-8")
    assert main(["--knobs", str(own), "--out", str(tmp_path / "out")]) == 0
    alerts = (tmp_path / "out" / "rules" / "alerts.rules.yml").read_text(encoding="utf-8")
    # The rules cover every service (the selector knob narrows them), named by its label; only
    # TargetMissing names the listed services and jobs, whose absence it watches.
    assert "by (service, job)" in alerts
    assert 'absent(up{service="shop-api", job="api"})' in alerts
    assert [line for line in alerts.splitlines() if "shop-api" in line and "absent(" not in line] == []
    assert not (tmp_path / "out" / "tests").exists()
    # check config also checks every rule file it names.
    promtool.check("config", tmp_path / "out" / "prometheus.yml")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("threshold_seconds: 0.5}", "threshold_seconds: 0.3}", "not a bucket boundary"),
        (
            "  high_latency:\n    for: 10m",
            "  high_latency:\n    for: 10m\n    escalate_after: 30m",
            "escalate_after is no longer supported",
        ),
        (
            "target: 0.999}",
            "target: 0.93}",
            "slos.objectives.0: Value error, SLO http-availability: target 0.93 makes the 14.4x "
            "burn-rate tier unreachable",
        ),
        ("window: 30d", "window: 30 days", "not a Prometheus duration"),
        ("target: 0.999}", "target: 1.5}", "less than 1"),
        (
            "  fast_for: 2m",
            "  request_duration_buckets: [0.1, 0.3]\n  fast_for: 2m",
            "not a bucket boundary",
        ),
        (
            "    - {name: http-availability, kind: http_availability, target: 0.999}",
            "    - {name: jobs-ok, kind: job_success, target: 0.95}",
            "job_type is required",
        ),
        ("services:\n  my-service:\n    app: [\"app:8000\"]\n    worker: [\"worker:8000\"]", "services: {}", "at least 1 item"),
        ("selector: []", "selector: ['cluster=eu']", "selector.0: String should match"),
        ("service_label: service", "service_label: app-name", "service_label: String should"),
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


