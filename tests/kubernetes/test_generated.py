"""The committed files under kubernetes/ are what `python -m kubernetes.generate` writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from alertmanager.knobs import load_knobs as load_am_knobs
from kubernetes.generate import HERE, main, render
from kubernetes.knobs import DEFAULT_KNOBS, KnobsError, load_knobs
from prometheus.knobs import load_knobs as load_prom_knobs


def _rendered() -> dict[str, str]:
    return render(load_knobs(DEFAULT_KNOBS), load_prom_knobs(), load_am_knobs())


def test_committed_files_are_fresh() -> None:
    stale = [
        rel for rel, text in _rendered().items()
        if not (HERE / rel).is_file() or (HERE / rel).read_text(encoding="utf-8") != text
    ]
    assert not stale, f"run `python -m kubernetes.generate`; stale: {stale}"


def test_no_stray_generated_files() -> None:
    on_disk = {
        str(p.relative_to(HERE)) for sub in ("manifests", "thanos") for p in (HERE / sub).iterdir()
    }
    assert on_disk == set(_rendered())


def test_writes_elsewhere_with_other_knobs(tmp_path: Path) -> None:
    knobs = tmp_path / "k8s.yaml"
    knobs.write_text(DEFAULT_KNOBS.read_text().replace("namespace: monitoring", "namespace: obs"))
    assert main(["--knobs", str(knobs), "--out", str(tmp_path / "out")]) == 0
    rules = (tmp_path / "out" / "manifests" / "prometheus-rules.yaml").read_text()
    assert "namespace: obs" in rules and "namespace: monitoring" not in rules


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("namespace: monitoring", "namespace: Monitoring", "namespace: Value error, 'Monitoring'"),
        ("  namespace: default ", "  namespace: apps.eu ", "apps.namespace: Value error, 'apps.eu'"),
        ("secret: signalpost-metrics-auth", "secret: Auth", "apps.metrics_auth.secret: Value error"),
        ("config_secret: alertmanager-signalpost", "config_secret: am_config",
         "alertmanager.config_secret: Value error, 'am_config' is not a Kubernetes name"),
        ("replication_factor: 3", "replication_factor: 2", "must be odd"),
        ("type: basic, secret", "type: digest, secret", "apps.metrics_auth.type"),
        ("  # retention: {raw: 30d, 5m: 30d, 1h: 730d}", "  retention: {raw: 1d}",
         "shorter than 40h"),
        ("  # retention: {raw: 30d, 5m: 30d, 1h: 730d}", "  retention: {5m: 7d}",
         "shorter than 10d"),
        ("  port: metrics", "  prot: metrics", "apps.prot: Extra inputs are not permitted"),
    ],
)
def test_invalid_knobs_name_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, message: str
) -> None:
    text = DEFAULT_KNOBS.read_text()
    assert old in text
    knobs = tmp_path / "k8s.yaml"
    knobs.write_text(text.replace(old, new))
    with pytest.raises(KnobsError, match=r"k8s\.yaml: "):
        load_knobs(knobs)
    assert main(["--knobs", str(knobs), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err
    assert not (tmp_path / "out").exists()
