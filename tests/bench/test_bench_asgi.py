"""The in-process benchmark runs every mode through the real middleware and SDK, and checks them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_every_mode_is_served_checked_and_its_spans_exported(tmp_path: Path) -> None:
    output = tmp_path / "asgi.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "SIGNALPOST_"))}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.bench_asgi",
            "--rounds",
            "2",
            "--requests",
            "5",
            "--output",
            str(output),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(output.read_text())
    assert list(results["summary"]) == ["bare", "metrics", "tracing", "tracing-otlp"]
    assert len(results["rounds_us"]) == 2
    # one checked request, a warm-up of 5 and two rounds of 5: every span reached the exporter
    assert results["spans_exported"] == {"tracing": 16, "tracing-otlp": 16}
    assert results["gc_freeze"] is True and results["gc_frozen_objects"] > 10_000
    for mode, row in results["summary"].items():
        assert row["best_us"] > 0, mode
    assert "metrics" in done.stdout and "<= 10 µs" in done.stdout
