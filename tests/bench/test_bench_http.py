"""The HTTP benchmark's arithmetic: wrk's output parsed, figures paired per round, verdicts."""

from __future__ import annotations

from typing import Any

import pytest

from bench.bench_http import RunResult, parse_wrk, summarize

WRK_OUTPUT = """Running 5s test @ http://127.0.0.1:8000/items/42
  1 threads and 32 connections
  Latency Distribution
     50%    3.50ms
     75%    4.10ms
     90%    5.00ms
     99%   12.40ms
  42500 requests in 5.00s, 7.10MB read
Requests/sec:   8500.00
Transfer/sec:      1.42MB
"""


def test_parse_wrk_reads_requests_rate_and_percentiles() -> None:
    parsed = parse_wrk(WRK_OUTPUT)
    assert parsed["requests"] == 42500
    assert parsed["seconds"] == 5.0
    assert parsed["requests_per_second"] == 8500.0
    assert parsed["latency_p50_ms"] == 3.5
    assert parsed["latency_p99_ms"] == 12.4
    assert parsed["non_2xx"] == 0 and parsed["socket_errors"] == 0


def run(mode: str, round_: int, rps: float, p99: float, **extra: Any) -> RunResult:
    fields: dict[str, Any] = {
        "mode": mode,
        "round": round_,
        "requests": int(rps * 5),
        "seconds": 5.0,
        "requests_per_second": rps,
        "latency_p50_ms": 1.0,
        "latency_p99_ms": p99,
        "non_2xx": 0,
        "socket_errors": 0,
        "server_cpu_percent": 100.0,
        "loadgen_cpu_percent": 20.0,
        "requests_per_cpu_second": rps,
        "server_core_busy_percent": 100.0,
        "steal_percent": 0.0,
        "loadgen_us_per_request": 25.0,
        "sink_cpu_percent": None,
        "calibration_ms": 8.0,
        "gc_collections": [10, 1, 0],
        "gc_full_collections": 0,
        "gc_pause_ms": 1.0,
        "gc_max_pause_ms": 0.2,
        "gc_tracked_after": 50_000,
    }
    fields.update(extra)
    return RunResult(**fields)


def test_figures_are_paired_with_bare_of_the_same_round() -> None:
    # The machine is twice as fast in round 2: paired figures do not move, unpaired would.
    runs = [
        run("bare", 1, 5000, 10.0),
        run("signalpost-metrics", 1, 4762, 11.0),  # 1e6/4762 - 1e6/5000 = 10.0 µs
        run("bare", 2, 10000, 5.0),
        run("signalpost-metrics", 2, 9524, 5.5),  # 1e6/9524 - 1e6/10000 = 5.0 µs
        run("signalpost-full", 1, 3000, 30.0),
        run("signalpost-full", 2, 6000, 9.0),
        run("otel-fastapi", 1, 1000, 50.0),
        run("otel-fastapi", 2, 2000, 20.0),
        run("otel-fastapi-lean", 1, 1500, 40.0),
        run("otel-fastapi-lean", 2, 3000, 15.0),
    ]
    modes = ["bare", "signalpost-metrics", "signalpost-full", "otel-fastapi", "otel-fastapi-lean"]
    summary = summarize(modes, runs)
    metrics = summary["signalpost-metrics"]
    assert metrics["ratio"] == pytest.approx(0.952, abs=0.001)
    assert metrics["added_us"] == pytest.approx(7.5, abs=0.1)  # median of 10.0 and 5.0
    assert metrics["p99_vs_bare"] == pytest.approx(1.1)
    assert metrics["verdict"] == "PASS"
    full = summary["signalpost-full"]
    assert full["ratio"] == pytest.approx(0.6)
    assert full["p99_vs_bare"] == pytest.approx(2.4)  # median of 3.0 and 1.8
    assert full["vs_reference"] == pytest.approx(3.0)  # paired with the reference's round
    assert full["vs_lean_reference"] == pytest.approx(2.0)  # printed, not judged
    assert full["verdict"] == "FAIL: p99 > 2x bare"
    assert summary["bare"]["verdict"] == "-"


def test_each_failed_limit_is_named() -> None:
    runs = [run("bare", 1, 10000, 5.0), run("signalpost-metrics", 1, 8000, 5.0)]
    row = summarize(["bare", "signalpost-metrics"], runs)["signalpost-metrics"]
    assert row["added_us"] == pytest.approx(25.0)
    assert row["verdict"] == "FAIL: ratio < 0.90, added > 10 µs"


def test_full_tracing_is_held_to_opentelemetrys_own_throughput_in_the_same_round() -> None:
    runs = [
        run("bare", 1, 10000, 5.0),
        run("signalpost-full", 1, 7000, 8.0),
        run("otel-fastapi", 1, 3500, 20.0),
        run("otel-fastapi-lean", 1, 2000, 20.0),
    ]
    modes = ["bare", "signalpost-full", "otel-fastapi", "otel-fastapi-lean"]
    row = summarize(modes, runs)["signalpost-full"]
    # Judged against the instrumentation as deployed, even when 3.5x the lean one.
    assert row["vs_reference"] == pytest.approx(2.0)
    assert row["vs_lean_reference"] == pytest.approx(3.5)
    assert row["verdict"] == "FAIL: < 2.5x otel-fastapi"
    # Without a reference run the budget is not met: an unmeasured limit never passes.
    alone = summarize(["bare", "signalpost-full"], runs[:2])["signalpost-full"]
    assert alone["vs_reference"] is None
    assert alone["verdict"] == "FAIL: < 2.5x otel-fastapi"
