"""The HTTP benchmark end to end in its smoke mode: real uvicorn servers, wrk and the OTLP sink."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.bench_http import SMOKE_MODES

REPO = Path(__file__).resolve().parents[2]


def test_smoke_run_prints_both_exporting_stacks_and_every_span_arrives(tmp_path: Path) -> None:
    output = tmp_path / "http.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "SIGNALPOST_"))}
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_http", "--smoke", "--output", str(output)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads(output.read_text())
    assert results["method"]["smoke"] is True
    assert list(results["summary"]) == list(SMOKE_MODES)

    # Both stacks exported, and the sink got one server span per request their handlers ran.
    exported = results["exported_spans"]
    assert set(exported) == {"signalpost-full", "otel-fastapi", "otel-fastapi-lean"}
    for mode, counts in exported.items():
        assert counts["requests_sent"] > 10, mode
        assert counts["requests_served"] >= counts["requests_sent"], mode
        assert counts["server_spans_received"] == counts["requests_served"], mode
        assert counts["all_received"] is True, mode
    # Signalpost and the lean reference: the server span only. The reference as deployed: also
    # its internal send spans (response start and body), and its metrics over OTLP.
    for mode in ("signalpost-full", "otel-fastapi-lean"):
        assert exported[mode]["spans_received"] == exported[mode]["requests_served"], mode
        assert exported[mode]["metric_exports_received"] == 0, mode
    deployed = exported["otel-fastapi"]
    assert deployed["spans_received"] >= 3 * deployed["requests_served"]
    assert deployed["metric_exports_received"] >= 1

    # One table: a header, a rule, one line per mode with ratio, +µs, p99/bare and the counts.
    lines = done.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if "spans/served" in line)
    for column in ("ratio", "+µs", "p99/bare", "x ref", "x lean", "spans/served", "verdict"):
        assert column in lines[header], column
    rows = {line.split()[0]: line for line in lines[header + 2 : header + 2 + len(SMOKE_MODES)]}
    assert list(rows) == list(SMOKE_MODES)
    for mode, counts in exported.items():
        assert f"{counts['server_spans_received']}/{counts['requests_served']}" in rows[mode]
    assert "PASS" in rows["signalpost-full"] or "FAIL: " in rows["signalpost-full"]

    # A verdict line per budget, naming every limit.
    budgets = [line for line in lines if line.startswith("BUDGET ")]
    assert len(budgets) == 2
    metrics_line, full_line = budgets
    assert "signalpost-metrics" in metrics_line and ">= 0.90" in metrics_line
    assert "<= 10" in metrics_line
    assert "signalpost-full" in full_line and ">= 0.60" in full_line
    assert "<= 2x" in full_line and "otel-fastapi's req/s >= 2.5x" in full_line
    assert "x otel-fastapi-lean's)" in full_line
    for line in budgets:
        assert line.endswith("PASS") or "FAIL: " in line
