"""The export-cost benchmark records real server spans and checks both encoders agree."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_both_attribute_sets_are_measured_and_the_encoders_agree() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "SIGNALPOST_"))}
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_encode", "--batch", "30", "--rounds", "1"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr  # exits 1 when the bytes differ
    lines = done.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("recommended attributes on  (11 attributes, 30 spans)")
    assert lines[1].startswith("recommended attributes off (6 attributes, 30 spans)")
    for line in lines:
        assert "scrub" in line and "SDK encode" in line and "Signalpost encode" in line
