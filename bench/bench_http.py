"""HTTP overhead benchmark: instrumented apps against the bare app, as users run them.

Method: every mode in :data:`bench.http_apps.MODES` runs as its own single-worker uvicorn
server (no access log) on **uvloop and httptools** (what ``uvicorn[standard]`` installs;
``--stack asyncio-h11`` measures the pure-Python stack instead, and every result names its
stack), pinned to one core; ``wrk`` drives load from a second process pinned to the other
core, over loopback, with a fixed number of keep-alive connections and a fixed duration. All
servers are started once and warmed up, then ``--rounds`` rounds each visit every mode once in
a freshly shuffled order (seeded); servers not being measured are frozen (SIGSTOP).

Every figure is **paired per round** with bare's run of the same round, then the median over
the rounds is taken, so drift of the machine affects both sides alike:

* ratio: req/s of the mode / req/s of bare;
* added µs: ``1e6/rps(mode) - 1e6/rps(bare)``, the time the mode adds to each request on a
  saturated core (and the same from server CPU time per request, a cross-check that does not
  depend on how much of its core the server got);
* p99 / bare p99: the mode's 99th percentile latency over bare's.

Budgets (issues 13 and 25):

* ``signalpost-metrics`` (metrics, request IDs, error capture, tracing off): ratio >= 0.90 and
  at most 10 µs added per request;
* ``signalpost-full`` (everything on, 100 % sampling, spans exported through the batch span
  processor over OTLP/HTTP to a real receiver process): ratio >= 0.60, p99 within 2x bare's,
  and at least 2.5x the throughput of ``otel-fastapi`` (OpenTelemetry's own FastAPI
  instrumentation as deployed, with its defaults, exporting the same way) in the same round;
  the ``x lean`` column gives the same ratio against ``otel-fastapi-lean`` (no metrics, no
  internal spans), which is stricter.

Both exporting stacks use the SDK's ``BatchSpanProcessor`` with the same settings (the
``OTEL_BSP_*`` variables are set explicitly for every exporting server, see
:data:`BATCH_SETTINGS`) and export to the same sink process, which counts the spans it
received per service (all spans, and the ``SERVER`` spans apart: ``otel-fastapi`` also
exports internal ``receive``/``send`` spans); the apps count the requests their handlers ran,
and the table shows server spans over requests, so a dropped span shows as a difference.

``signalpost-full-unfrozen`` is ``signalpost-full`` without the start-up heap freeze (the GC
before/after); ``otel-fastapi-lean`` is the reference that decided whether Signalpost uses
opentelemetry-instrumentation-fastapi, ``otel-fastapi`` the same as users deploy it;
``signalpost-dead-collector`` shows that an unreachable collector adds no latency. Each run
also records the server's garbage collections (full ones and the longest pause), the server's
and wrk's CPU per request, the sink's CPU, the busy and steal share of the cores and a
calibration loop, so that a slow or busy machine shows in the results instead of passing for
overhead.

Before measuring, each server must answer 200 with the expected JSON (and an ``X-Request-ID``
header in Signalpost modes); after the run the OTLP sink's span count proves the spans were
exported. The exit code is 0 whatever the budgets say: this is a report, not a test.

Usage: ``.venv/bin/python -m bench.bench_http [--rounds 5] [--duration 5]`` from the
repository root. Needs ``wrk`` (installed with apt-get when missing and running as root) and
``taskset`` (util-linux; without it nothing is pinned and the report says so).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

if not __package__:  # run as a file (python bench/bench_http.py): make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.http_apps import GC_PATH, MODES

__all__ = ["BUDGETS", "STACKS", "Budget", "RunResult", "main", "parse_wrk"]

REPO = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO / "bench" / "results"
HOST = "127.0.0.1"
PATH = "/items/42"
EXPECTED_BODY = {"item_id": 42, "name": "widget", "price": 9.5, "tags": ["a", "b"]}


@dataclass(frozen=True)
class Budget:
    """What a mode must reach against bare (issue 13); ``None`` where no limit applies."""

    min_ratio: float
    max_added_us: float | None = None
    max_p99_vs_bare: float | None = None
    # req/s over the reference mode's (OpenTelemetry's own instrumentation) in the same round
    min_vs_reference: float | None = None


BUDGETS: dict[str, Budget] = {
    "signalpost-metrics": Budget(min_ratio=0.90, max_added_us=10.0),
    "signalpost-full": Budget(min_ratio=0.60, max_p99_vs_bare=2.0, min_vs_reference=2.5),
}
# The batch span processor's settings of every exporting server: the SDK's defaults, written
# out so that both stacks provably export with the same ones.
BATCH_SETTINGS: dict[str, str] = {
    "OTEL_BSP_SCHEDULE_DELAY": "5000",
    "OTEL_BSP_MAX_QUEUE_SIZE": "2048",
    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "512",
    "OTEL_BSP_EXPORT_TIMEOUT": "30000",
}
# --smoke: a few seconds in all, to check the machinery (tests/bench), never for figures. Its
# queue is large enough for every span of such a run, so that a busy machine cannot make the
# batch processor drop spans and the count check stays exact.
SMOKE_MODES = (
    "bare",
    "signalpost-metrics",
    "signalpost-full",
    "otel-fastapi",
    "otel-fastapi-lean",
)
SMOKE_QUEUE_SIZE = "1000000"
# The loop and HTTP implementation, by the name the results use.
STACKS: dict[str, tuple[str, str]] = {
    "uvloop-httptools": ("uvloop", "httptools"),
    "asyncio-h11": ("asyncio", "h11"),
}
# OpenTelemetry's FastAPI instrumentation with its defaults (the issue's reference), and lean.
REFERENCE_MODE = "otel-fastapi"
LEAN_REFERENCE_MODE = "otel-fastapi-lean"
REFERENCE_MODES = (REFERENCE_MODE, LEAN_REFERENCE_MODE)
SIGNALPOST_MODES = frozenset(
    {
        "signalpost-metrics",
        "signalpost-full",
        "signalpost-full-unfrozen",
        "signalpost-dead-collector",
    }
)
EXPORTING_MODES = ("signalpost-full", "signalpost-full-unfrozen", *REFERENCE_MODES)
# Interpreter settings that slow every request down (debug allocators, tracing, asyncio debug
# mode); a benchmark server must not inherit them from the shell that started it.
_DEBUG_VARIABLES = (
    "PYTHONDEVMODE",
    "PYTHONASYNCIODEBUG",
    "PYTHONTRACEMALLOC",
    "PYTHONMALLOC",
    "PYTHONMALLOCSTATS",
    "PYTHONPROFILEIMPORTTIME",
    "PYTHONWARNINGS",
    "COVERAGE_PROCESS_START",
)
# A run whose server used less of its core than this was slowed by something else on the
# machine (or did not saturate); the report counts such runs.
DISTURBED_BELOW_PERCENT = 85.0
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


@dataclass
class RunResult:
    """One wrk run against one mode."""

    mode: str
    round: int
    requests: int
    seconds: float
    requests_per_second: float
    latency_p50_ms: float | None
    latency_p99_ms: float | None
    non_2xx: int
    socket_errors: int
    server_cpu_percent: float
    loadgen_cpu_percent: float
    requests_per_cpu_second: float
    server_core_busy_percent: float | None
    steal_percent: float | None
    loadgen_us_per_request: float
    sink_cpu_percent: float | None
    calibration_ms: float | None
    gc_collections: list[int]
    gc_full_collections: int
    gc_pause_ms: float
    gc_max_pause_ms: float
    gc_tracked_after: int


@dataclass
class Server:
    """A running server process of one mode."""

    mode: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    requests_sent: int = 0
    checks: dict[str, Any] = field(default_factory=dict)


# --- the environment -----------------------------------------------------------------------


def free_port() -> int:
    """Return a loopback TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def ensure_wrk() -> str:
    """Return the path of ``wrk``, installing the Debian package when missing (as root)."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise SystemExit("wrk is missing: install it (Debian package 'wrk') and run again")
    print("wrk is missing: installing the Debian package ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, timeout=300)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env, timeout=300)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is still missing after apt-get install")
    return found


def check_stack(stack: str) -> tuple[str, str]:
    """The (loop, http) of ``stack``; stop with a message when its packages are missing."""
    loop, http = STACKS[stack]
    missing = [
        name
        for name in (loop, http)
        if name != "asyncio" and importlib.util.find_spec(name) is None
    ]
    if missing:
        raise SystemExit(
            f"--stack {stack} needs {', '.join(missing)}: install the dev extra "
            "(pip install -e '.[dev]') or pass --stack asyncio-h11"
        )
    return loop, http


def calibrate(cpu: int | None) -> float:
    """CPU milliseconds of a fixed pure-Python loop on ``cpu`` (best of three).

    On a quiet machine the figure is stable; a larger one means the core (or the host) was
    slower for every process, the load generator included, so every figure of that round is.
    """
    previous = os.sched_getaffinity(0)
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    try:
        best = float("inf")
        for _ in range(3):
            start = time.process_time()
            total = 0
            for i in range(200_000):
                total += i * i
            best = min(best, time.process_time() - start)
        return round(best * 1e3, 2)
    finally:
        os.sched_setaffinity(0, previous)


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def machine_facts(wrk: str, pinned: bool, stack: str) -> dict[str, Any]:
    """What the numbers depend on: CPU, core count, versions, loop and HTTP implementation."""
    cpu_model = platform.processor() or "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    wrk_version = subprocess.run(
        [wrk, "--version"], capture_output=True, text=True, timeout=10
    ).stdout.splitlines()
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "stack": stack,
        "loop": STACKS[stack][0],
        "http": STACKS[stack][1],
        "load_average_at_start": list(os.getloadavg()),
        "pinned_with_taskset": pinned,
        "wrk": wrk_version[0] if wrk_version else "unknown",
        "versions": {
            dist: _version(dist)
            for dist in (
                "uvicorn",
                "fastapi",
                "starlette",
                "prometheus-client",
                "opentelemetry-sdk",
                "opentelemetry-exporter-otlp-proto-http",
                "opentelemetry-instrumentation-fastapi",
                "uvloop",
                "httptools",
                "h11",
            )
        },
    }


def _pin(cpu: int | None, argv: list[str]) -> list[str]:
    return ["taskset", "-c", str(cpu), *argv] if cpu is not None else argv


def _clean_env(code_dir: Path | None = None) -> dict[str, str]:
    """The inherited environment without any OTEL_* or SIGNALPOST_* setting.

    ``code_dir`` (a modified copy of the packages) goes first on ``PYTHONPATH``.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OTEL_", "SIGNALPOST_", "PROMETHEUS_MULTIPROC"))
        and k not in _DEBUG_VARIABLES
    }
    paths = [str(code_dir) if code_dir else None, str(REPO), env.get("PYTHONPATH")]
    env["PYTHONPATH"] = os.pathsep.join(filter(None, paths))
    env["PYTHONUNBUFFERED"] = "1"
    return env


def mode_env(
    mode: str,
    sink_port: int,
    dead_port: int,
    code_dir: Path | None = None,
    queue_size: str | None = None,
) -> dict[str, str]:
    """The environment of one mode's server process (``queue_size``: the BSP's, for --smoke)."""
    env = _clean_env(code_dir)
    env.update(BATCH_SETTINGS)
    if queue_size is not None:
        env["OTEL_BSP_MAX_QUEUE_SIZE"] = queue_size
    env["BENCH_MODE"] = mode
    env["OTEL_SERVICE_NAME"] = f"bench-{mode}"
    env["OTEL_METRICS_EXPORTER"] = "none"
    env["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf"
    if mode == "signalpost-metrics":
        # Tracing off in Signalpost's config; nothing exported by the SDK either.
        env["OTEL_TRACES_EXPORTER"] = "none"
        env["OTEL_LOGS_EXPORTER"] = "none"
    elif mode in EXPORTING_MODES:
        env["OTEL_TRACES_SAMPLER"] = "always_on"
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = f"http://{HOST}:{sink_port}"
        if mode == REFERENCE_MODE:
            env["OTEL_METRICS_EXPORTER"] = "otlp"  # its app builds the OTLP metric exporter
    elif mode == "signalpost-dead-collector":
        env["OTEL_TRACES_SAMPLER"] = "always_on"
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = f"http://{HOST}:{dead_port}"
    return env


# --- processes -----------------------------------------------------------------------------


def _signal(process: subprocess.Popen[bytes], signum: int) -> None:
    """Send ``signum`` to the process group we started for ``process``, if still running."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signum)


def freeze(server: Server) -> None:
    """Stop a server between its runs (SIGSTOP) so it cannot use the measured server's core.

    Without this, background work of an idle mode (the batch span processor of
    ``signalpost-dead-collector`` encoding batches it cannot send) ran on the same core and
    cut the throughput of whichever mode was being measured.
    """
    _signal(server.process, signal.SIGSTOP)


def thaw(server: Server) -> None:
    """Let a frozen server run again (SIGCONT)."""
    _signal(server.process, signal.SIGCONT)


def _stop(process: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM the process group we started, then SIGKILL it after ``grace`` seconds."""
    if process.poll() is not None:
        return
    _signal(process, signal.SIGCONT)  # a frozen process would not act on SIGTERM
    _signal(process, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _spawn(argv: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log:
        return subprocess.Popen(
            argv,
            # Not the repository: the working directory comes first on sys.path, and
            # PYTHONPATH (with --code-dir first) must decide where the packages come from.
            cwd=log_path.parent,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as a whole
        )


def _get(port: int, path: str, timeout: float = 2.0) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(f"http://{HOST}:{port}{path}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            headers = {k.lower(): v for k, v in response.headers.items()}
            return int(response.status), headers, response.read()
    except urllib.error.HTTPError as error:
        return int(error.code), {k.lower(): v for k, v in error.headers.items()}, error.read()


def wait_ready(process: subprocess.Popen[bytes], port: int, path: str, timeout: float) -> None:
    """Poll ``path`` until it answers, the process dies, or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before it was ready")
        with contextlib.suppress(OSError):
            _get(port, path, timeout=1.0)
            return
        time.sleep(0.1)
    raise RuntimeError(f"no answer on port {port} within {timeout:.0f}s")


def _tail(path: Path, lines: int = 30) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


def start_server(
    mode: str, port: int, env: dict[str, str], loop: str, http: str, cpu: int | None, logs: Path
) -> Server:
    """Start one mode's uvicorn server (single worker, no access log) and wait until ready."""
    argv = _pin(
        cpu,
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.http_apps:create_app",
            "--factory",
            "--host",
            HOST,
            "--port",
            str(port),
            "--workers",
            "1",
            "--no-access-log",
            "--loop",
            loop,
            "--http",
            http,
            "--log-level",
            "warning",
        ],
    )
    log_path = logs / f"{mode}.log"
    server = Server(mode, port, _spawn(argv, env, log_path), log_path)
    try:
        wait_ready(server.process, port, PATH, timeout=60)
    except RuntimeError as error:
        _stop(server.process, 5)
        raise RuntimeError(f"{mode}: {error}\n{_tail(log_path)}") from None
    return server


def verify(server: Server) -> dict[str, Any]:
    """Check the server answers 200 with the expected JSON (and a request ID in our modes)."""
    status, headers, body = _get(server.port, PATH)
    server.requests_sent += 1
    problems = []
    if status != 200:
        problems.append(f"status {status}")
    try:
        if json.loads(body) != EXPECTED_BODY:
            problems.append(f"body {body[:200]!r}")
    except ValueError:
        problems.append(f"body is not JSON: {body[:200]!r}")
    request_id = headers.get("x-request-id")
    if server.mode in SIGNALPOST_MODES and not request_id:
        problems.append("no X-Request-ID header")
    if problems:
        raise RuntimeError(f"{server.mode}: wrong answer: {'; '.join(problems)}")
    return {"status": status, "x_request_id": request_id}


# --- load ----------------------------------------------------------------------------------


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value)
    if match is None:
        raise ValueError(f"not a wrk duration: {value!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> dict[str, Any]:
    """Extract requests, duration, req/s, p50/p99 latency and errors from ``wrk --latency``."""
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", output)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if done is None or rps is None:
        raise ValueError(f"unexpected wrk output:\n{output}")
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sock = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return {
        "requests": int(done.group(1)),
        "seconds": _ms(done.group(2) + done.group(3)) / 1000,
        "requests_per_second": float(rps.group(1)),
        "latency_p50_ms": _ms(p50.group(1)) if p50 else None,
        "latency_p99_ms": _ms(p99.group(1)) if p99 else None,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": sum(int(g) for g in sock.groups()) if sock else 0,
    }


def _cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def _core_times() -> list[Any]:
    return list(psutil.cpu_times(percpu=True))


def _busy_and_steal(
    before: list[Any], after: list[Any], core: int | None
) -> tuple[float | None, float | None]:
    """Busy share of the server's core and the steal share of the machine, in percent."""

    def total(t: Any) -> float:
        return float(sum(t))

    busy = None
    if core is not None and core < len(after):
        b, a = before[core], after[core]
        elapsed = total(a) - total(b)
        idle = (a.idle + getattr(a, "iowait", 0.0)) - (b.idle + getattr(b, "iowait", 0.0))
        busy = round(100 * (elapsed - idle) / elapsed, 1) if elapsed > 0 else None
    elapsed_all = sum(total(a) - total(b) for a, b in zip(after, before, strict=True))
    steal_all = sum(
        getattr(a, "steal", 0.0) - getattr(b, "steal", 0.0)
        for a, b in zip(after, before, strict=True)
    )
    steal = round(100 * steal_all / elapsed_all, 1) if elapsed_all > 0 else None
    return busy, steal


def _gc_stats(server: Server) -> dict[str, Any]:
    status, _, body = _get(server.port, GC_PATH, timeout=10)
    server.requests_sent += 1
    if status != 200:
        raise RuntimeError(f"{server.mode}: {GC_PATH} answered {status}")
    stats: dict[str, Any] = json.loads(body)
    return stats


def run_wrk(
    wrk: str,
    server: Server,
    round_: int,
    duration: int,
    connections: int,
    threads: int,
    cpu: int | None,
    server_core: int | None,
    sink_pid: int | None = None,
    calibration_ms: float | None = None,
) -> RunResult:
    """Drive one server for ``duration`` seconds; measure its CPU, wrk's, the sink's, GC."""
    argv = _pin(
        cpu,
        [
            wrk,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            "--timeout",
            "5s",
            f"http://{HOST}:{server.port}{PATH}",
        ],
    )
    gc_before = _gc_stats(server)
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = _cpu_seconds(server.process.pid)
    sink_before = _cpu_seconds(sink_pid) if sink_pid else 0.0
    cores_before = _core_times()
    started = time.monotonic()
    completed = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
    wall = time.monotonic() - started
    server_cpu = _cpu_seconds(server.process.pid) - server_before
    sink_cpu = _cpu_seconds(sink_pid) - sink_before if sink_pid else None
    busy, steal = _busy_and_steal(cores_before, _core_times(), server_core)
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    gc_after = _gc_stats(server)
    collections = [a - b for a, b in zip(gc_after["counts"], gc_before["counts"], strict=True)]
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr}")
    loadgen_cpu = (children_after.ru_utime - children_before.ru_utime) + (
        children_after.ru_stime - children_before.ru_stime
    )
    parsed = parse_wrk(completed.stdout)
    server.requests_sent += parsed["requests"]
    return RunResult(
        mode=server.mode,
        round=round_,
        server_cpu_percent=round(100 * server_cpu / wall, 1),
        loadgen_cpu_percent=round(100 * loadgen_cpu / wall, 1),
        requests_per_cpu_second=round(parsed["requests"] / server_cpu, 1) if server_cpu else 0.0,
        server_core_busy_percent=busy,
        steal_percent=steal,
        loadgen_us_per_request=(
            round(loadgen_cpu / parsed["requests"] * 1e6, 1) if parsed["requests"] else 0.0
        ),
        sink_cpu_percent=round(100 * sink_cpu / wall, 1) if sink_cpu is not None else None,
        calibration_ms=calibration_ms,
        gc_collections=collections,
        gc_full_collections=collections[2],
        gc_pause_ms=round(1e3 * (sum(gc_after["seconds"]) - sum(gc_before["seconds"])), 2),
        gc_max_pause_ms=round(1e3 * max(gc_after["max_seconds"]), 2),
        gc_tracked_after=int(gc_after["tracked"]),
        **parsed,
    )


# --- report --------------------------------------------------------------------------------


def _disturbed(run: RunResult) -> bool:
    """Whether the server got less than most of its core (another process ran there)."""
    return run.server_cpu_percent < DISTURBED_BELOW_PERCENT


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def _paired(
    mine: Sequence[RunResult], bare: dict[int, RunResult], fn: Callable[[RunResult, RunResult], Any]
) -> list[float]:
    """``fn(run, bare's run of the same round)`` for every round where both have a value."""
    out = []
    for r in mine:
        b = bare.get(r.round)
        if b is None:
            continue
        value = fn(r, b)
        if value is not None:
            out.append(float(value))
    return out


def _added_us(a: float, b: float) -> float | None:
    return 1e6 / a - 1e6 / b if a and b else None


def _verdict(budget: Budget, row: dict[str, Any]) -> str:
    failed = []
    if row["ratio"] is None or row["ratio"] < budget.min_ratio:
        failed.append(f"ratio < {budget.min_ratio:.2f}")
    if budget.max_added_us is not None and (
        row["added_us"] is None or row["added_us"] > budget.max_added_us
    ):
        failed.append(f"added > {budget.max_added_us:g} µs")
    if budget.max_p99_vs_bare is not None and (
        row["p99_vs_bare"] is None or row["p99_vs_bare"] > budget.max_p99_vs_bare
    ):
        failed.append(f"p99 > {budget.max_p99_vs_bare:g}x bare")
    if budget.min_vs_reference is not None and (
        row["vs_reference"] is None or row["vs_reference"] < budget.min_vs_reference
    ):
        failed.append(f"< {budget.min_vs_reference:g}x {REFERENCE_MODE}")
    return "PASS" if not failed else "FAIL: " + ", ".join(failed)


def _budget_text(budget: Budget | None) -> str:
    if budget is None:
        return "-"
    parts = [f">={budget.min_ratio:.2f}"]
    if budget.max_added_us is not None:
        parts.append(f"<={budget.max_added_us:g}us")
    if budget.max_p99_vs_bare is not None:
        parts.append(f"p99<={budget.max_p99_vs_bare:g}x")
    if budget.min_vs_reference is not None:
        parts.append(f">={budget.min_vs_reference:g}xref")
    return " ".join(parts)


def summarize(modes: Sequence[str], runs: Sequence[RunResult]) -> dict[str, dict[str, Any]]:
    """Per mode: req/s, and paired per round with bare: ratio, added µs, p99 over bare's."""
    bare = {r.round: r for r in runs if r.mode == "bare"}
    reference = {r.round: r for r in runs if r.mode == REFERENCE_MODE}
    lean = {r.round: r for r in runs if r.mode == LEAN_REFERENCE_MODE}
    summary: dict[str, dict[str, Any]] = {}
    for mode in modes:
        mine = [r for r in runs if r.mode == mode]
        rps = [r.requests_per_second for r in mine]
        p50 = [r.latency_p50_ms for r in mine if r.latency_p50_ms is not None]
        p99 = [r.latency_p99_ms for r in mine if r.latency_p99_ms is not None]
        ratio = _median(
            _paired(mine, bare, lambda r, b: r.requests_per_second / b.requests_per_second)
        )
        added = _median(
            _paired(
                mine, bare, lambda r, b: _added_us(r.requests_per_second, b.requests_per_second)
            )
        )
        added_cpu = _median(
            _paired(
                mine,
                bare,
                lambda r, b: _added_us(r.requests_per_cpu_second, b.requests_per_cpu_second),
            )
        )
        p99_vs = _median(
            _paired(
                mine,
                bare,
                lambda r, b: (
                    r.latency_p99_ms / b.latency_p99_ms
                    if r.latency_p99_ms and b.latency_p99_ms
                    else None
                ),
            )
        )
        vs_reference = _median(
            _paired(mine, reference, lambda r, b: r.requests_per_second / b.requests_per_second)
        )
        vs_lean = _median(
            _paired(mine, lean, lambda r, b: r.requests_per_second / b.requests_per_second)
        )
        row: dict[str, Any] = {
            "median_rps": statistics.median(rps),
            "min_rps": min(rps),
            "max_rps": max(rps),
            "rounds_rps": rps,
            "ratio": round(ratio, 3) if ratio is not None else None,
            "added_us": round(added, 1) if added is not None else None,
            "added_cpu_us": round(added_cpu, 1) if added_cpu is not None else None,
            "latency_p50_ms": _median(p50),
            "latency_p99_ms": _median(p99),
            "p99_vs_bare": round(p99_vs, 2) if p99_vs is not None else None,
            "vs_reference": round(vs_reference, 2) if vs_reference is not None else None,
            "vs_lean_reference": round(vs_lean, 2) if vs_lean is not None else None,
            "server_cpu_percent": statistics.median(r.server_cpu_percent for r in mine),
            "median_requests_per_cpu_second": statistics.median(
                r.requests_per_cpu_second for r in mine
            ),
            "server_us_per_request": round(
                1e6 / statistics.median(r.requests_per_cpu_second for r in mine), 1
            ),
            "loadgen_us_per_request": statistics.median(r.loadgen_us_per_request for r in mine),
            "gc_full_collections_per_run": statistics.median(r.gc_full_collections for r in mine),
            "gc_max_pause_ms": max(r.gc_max_pause_ms for r in mine),
            "gc_pause_us_per_request": round(
                sum(r.gc_pause_ms for r in mine) * 1e3 / max(1, sum(r.requests for r in mine)), 2
            ),
            "disturbed_runs": sum(1 for r in mine if _disturbed(r)),
            "loadgen_cpu_percent": statistics.median(r.loadgen_cpu_percent for r in mine),
            "non_2xx": sum(r.non_2xx for r in mine),
            "socket_errors": sum(r.socket_errors for r in mine),
        }
        budget = BUDGETS.get(mode)
        row["budget"] = _budget_text(budget)
        if budget is not None:
            row["verdict"] = _verdict(budget, row)
        elif mode in REFERENCE_MODES and row["ratio"] is not None:
            row["verdict"] = "meets 0.60" if row["ratio"] >= 0.60 else "misses 0.60"
        else:
            row["verdict"] = "-"
        summary[mode] = row
    return summary


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _spans_text(exported: dict[str, Any] | None) -> str:
    """``server spans received/served`` for an exporting mode, ``-`` otherwise."""
    if exported is None:
        return "-"
    return f"{exported['server_spans_received']}/{exported['requests_served']}"


def render_table(
    summary: dict[str, dict[str, Any]], exported: dict[str, dict[str, Any]] | None = None
) -> str:
    """The side-by-side table, one line per mode; ``exported``: the sink's counts per mode."""
    exported = exported or {}
    header = (
        f"{'mode':<25} {'r/s':>6} {'ratio':>6} {'+µs':>6} {'+CPUµs':>6} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'p99/bare':>8} {'x ref':>5} {'x lean':>6} {'srv CPU':>7} {'µs/req':>6} "
        f"{'GC full':>7} {'GC max':>7} {'spans/served':>15}  {'budget':<28} verdict"
    )
    lines = [header, "-" * (len(header) + 20)]
    for mode, row in summary.items():
        lines.append(
            f"{mode:<25} {row['median_rps']:>6.0f} {_fmt(row['ratio'], '.3f'):>6} "
            f"{_fmt(row['added_us'], '.1f'):>6} {_fmt(row['added_cpu_us'], '.1f'):>6} "
            f"{_fmt(row['latency_p50_ms'], '.2f'):>7} {_fmt(row['latency_p99_ms'], '.2f'):>7} "
            f"{_fmt(row['p99_vs_bare'], '.2f'):>8} {_fmt(row.get('vs_reference'), '.2f'):>5} "
            f"{_fmt(row.get('vs_lean_reference'), '.2f'):>6} "
            f"{row['server_cpu_percent']:>6.0f}% "
            f"{row['server_us_per_request']:>6.0f} {row['gc_full_collections_per_run']:>7.0f} "
            f"{row['gc_max_pause_ms']:>5.1f}ms {_spans_text(exported.get(mode)):>15}  "
            f"{row['budget']:<28} {row['verdict']}"
        )
    return "\n".join(lines)


def render_rounds(modes: Sequence[str], runs: Sequence[RunResult], rounds: int) -> str:
    """Req/s of every mode in every round, to show drift."""
    lines = [f"{'mode':<27} " + " ".join(f"{'r' + str(i + 1):>8}" for i in range(rounds))]
    for mode in modes:
        by_round = {r.round: r.requests_per_second for r in runs if r.mode == mode}
        lines.append(
            f"{mode:<27} "
            + " ".join(f"{by_round.get(i + 1, float('nan')):>8.0f}" for i in range(rounds))
        )
    return "\n".join(lines)


# --- the run -------------------------------------------------------------------------------


@contextlib.contextmanager
def _processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    try:
        yield started
    finally:
        for process in reversed(started):
            _stop(process, 15)


def _sink_stats(port: int) -> dict[str, Any]:
    status, _, body = _get(port, "/stats", timeout=5)
    if status != 200:
        raise RuntimeError(f"sink /stats answered {status}")
    result: dict[str, Any] = json.loads(body)
    return result


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start everything, verify, warm up, measure interleaved rounds, stop, and report."""
    modes = list(args.modes)
    if "bare" not in modes:
        raise SystemExit("--modes must include bare: every ratio is to bare")
    wrk = ensure_wrk()
    pinned = not args.no_pin and shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2
    server_cpu = args.server_cpu if pinned else None
    load_cpu = args.load_cpu if pinned else None
    loop, http = check_stack(args.stack)
    facts = machine_facts(wrk, pinned, args.stack)
    print(
        f"machine: {facts['nproc']} cores, {facts['cpu_model']}, Python {facts['python']}, "
        f"stack {args.stack} (--loop {loop} --http {http}), "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, "
        + (
            f"server pinned to CPU {server_cpu}, wrk and sink to CPU {load_cpu}"
            if pinned
            else "not pinned (--no-pin, no taskset or one core)"
        ),
        flush=True,
    )
    rng = random.Random(args.seed)
    runs: list[RunResult] = []
    sink_port, dead_port = free_port(), free_port()
    ports = {mode: free_port() for mode in modes}
    expected_seconds = len(modes) * (args.warmup + args.rounds * (args.duration + args.pause))

    with tempfile.TemporaryDirectory(prefix="bench-http-") as tmp, _processes() as started:
        logs = Path(tmp)
        sink_argv = _pin(
            load_cpu,
            [
                sys.executable,
                "-m",
                "bench.otlp_sink",
                "--port",
                str(sink_port),
                "--max-seconds",
                str(int(expected_seconds + 900)),
            ],
        )
        sink = _spawn(sink_argv, _clean_env(), logs / "sink.log")
        started.append(sink)
        wait_ready(sink, sink_port, "/stats", timeout=30)

        servers: dict[str, Server] = {}
        for mode in modes:
            env = mode_env(
                mode,
                sink_port,
                dead_port,
                args.code_dir,
                SMOKE_QUEUE_SIZE if args.smoke else None,
            )
            server = start_server(mode, ports[mode], env, loop, http, server_cpu, logs)
            started.append(server.process)
            servers[mode] = server
            server.checks = verify(server)
            gc_stats = _gc_stats(server)
            # Objects the cyclic collector walks in a full collection, and those frozen.
            server.checks["gc_tracked"] = gc_stats["tracked"]
            server.checks["gc_frozen"] = gc_stats["frozen"]
            print(f"  {mode:<27} port {server.port}: 200, JSON ok, {server.checks}", flush=True)
            freeze(server)

        for mode in modes:
            thaw(servers[mode])
            run_wrk(
                wrk,
                servers[mode],
                0,
                args.warmup,
                args.connections,
                args.threads,
                load_cpu,
                server_cpu,
                sink.pid,
            )
            freeze(servers[mode])
        print(f"warmed up ({args.warmup}s each)", flush=True)

        for round_ in range(1, args.rounds + 1):
            order = modes[:]
            rng.shuffle(order)
            for mode in order:
                thaw(servers[mode])
                time.sleep(args.pause)  # lets it catch up with what it deferred while frozen
                calibration = calibrate(server_cpu)
                result = run_wrk(
                    wrk,
                    servers[mode],
                    round_,
                    args.duration,
                    args.connections,
                    args.threads,
                    load_cpu,
                    server_cpu,
                    sink.pid,
                    calibration,
                )
                freeze(servers[mode])
                runs.append(result)
                print(
                    f"round {round_}/{args.rounds} {mode:<27} "
                    f"{result.requests_per_second:>8.0f} req/s  "
                    f"p99 {_fmt(result.latency_p99_ms, '.2f')} ms  "
                    f"GC full {result.gc_full_collections} max {result.gc_max_pause_ms:.1f} ms  "
                    f"server CPU {result.server_cpu_percent:.0f}% "
                    f"(its core {_fmt(result.server_core_busy_percent, '.0f')}% busy, "
                    f"steal {_fmt(result.steal_percent, '.0f')}%)  "
                    f"wrk CPU {result.loadgen_cpu_percent:.0f}%  "
                    f"calibration {_fmt(calibration, '.1f')} ms"
                    + ("  DISTURBED" if _disturbed(result) else ""),
                    flush=True,
                )

        # What each exporting app's handlers ran, read last (this read is counted too).
        served = {}
        for mode in modes:
            if mode in EXPORTING_MODES:
                thaw(servers[mode])
                served[mode] = int(_gc_stats(servers[mode])["served"])
        # Graceful stop: Signalpost's lifespan (and the reference app's) flushes the batch
        # span processor, so every span that was not dropped reaches the sink.
        for mode in modes:
            _stop(servers[mode].process, 20)
        sink_stats = _sink_stats(sink_port)
        server_logs = {mode: _tail(servers[mode].log_path, 5) for mode in modes}

    summary = summarize(modes, runs)
    exported = {}
    for mode in EXPORTING_MODES:
        if mode in servers:
            service = f"bench-{mode}"
            spans = int(sink_stats["spans"].get(service, 0))
            server_spans = int(sink_stats["server_spans"].get(service, 0))
            sent = servers[mode].requests_sent
            exported[mode] = {
                "requests_sent": sent,
                "requests_served": served[mode],
                "all_received": server_spans == served[mode],
                "spans_received": spans,
                "server_spans_received": server_spans,
                "metric_exports_received": int(sink_stats["metric_exports"].get(service, 0)),
                "fraction": round(server_spans / sent, 4) if sent else None,
            }
    facts["load_average_at_end"] = list(os.getloadavg())
    return {
        "benchmark": "http",
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "method": {
            "rounds": args.rounds,
            "duration_seconds": args.duration,
            "warmup_seconds": args.warmup,
            "pause_seconds": args.pause,
            "connections": args.connections,
            "wrk_threads": args.threads,
            "seed": args.seed,
            "path": PATH,
            "stack": args.stack,
            "server": f"uvicorn, 1 worker, --no-access-log, --loop {loop}, --http {http}",
            "pairing": "ratio, added µs and p99/bare are per round against bare's run of the "
            "same round; the median over the rounds is reported",
            "order": "each round visits every mode once, shuffled (seeded)",
            "isolation": "servers not being measured are frozen with SIGSTOP",
            "code_dir": str(args.code_dir) if args.code_dir else None,
            "batch_span_processor": {
                **BATCH_SETTINGS,
                **({"OTEL_BSP_MAX_QUEUE_SIZE": SMOKE_QUEUE_SIZE} if args.smoke else {}),
            },
            "smoke": args.smoke,
        },
        "machine": facts,
        "budgets": {mode: asdict(budget) for mode, budget in BUDGETS.items()},
        "summary": summary,
        "exported_spans": exported,
        "sink": sink_stats,
        "server_log_tails": server_logs,
        "checks": {mode: servers[mode].checks for mode in modes},
        "runs": [asdict(r) for r in runs],
    }


def report(results: dict[str, Any]) -> str:
    """The human-readable report printed at the end."""
    summary = results["summary"]
    modes = list(summary)
    runs = [RunResult(**r) for r in results["runs"]]
    facts = results["machine"]
    out = [
        "",
        "Throughput per round (req/s):",
        render_rounds(modes, runs, results["method"]["rounds"]),
        "",
        f"Summary, stack {facts['stack']} (uvicorn --loop {facts['loop']} --http "
        f"{facts['http']}), load average {facts['load_average_at_start'][0]:.2f} at start and "
        f"{facts['load_average_at_end'][0]:.2f} at the end.",
        "ratio, +µs (added per request on a saturated core), +CPUµs (the same from server CPU "
        "time) and p99/bare are paired per round with bare, median over rounds; µs/req = server "
        "CPU per request; GC full = full collections per run, GC max = longest collection:",
        render_table(summary, results["exported_spans"]),
        "",
    ]
    for mode, row in summary.items():
        if row["disturbed_runs"]:
            out.append(
                f"NOTE {mode}: {row['disturbed_runs']} run(s) where the server had less than "
                f"{DISTURBED_BELOW_PERCENT:.0f}% of its core (something else ran there)"
            )
        if row["non_2xx"] or row["socket_errors"]:
            out.append(
                f"WARNING {mode}: {row['non_2xx']} non-2xx responses, "
                f"{row['socket_errors']} socket errors"
            )
    calibrations = [r.calibration_ms for r in runs if r.calibration_ms is not None]
    if calibrations:
        out.append(
            f"calibration loop on the server core: {min(calibrations):.1f}..."
            f"{max(calibrations):.1f} ms (a spread means the core's speed changed during the run)"
        )
    for mode, counts in results["exported_spans"].items():
        out.append(
            f"spans exported by {mode}: {counts['server_spans_received']} server spans "
            f"({counts['spans_received']} spans in all, "
            f"{counts['metric_exports_received']} metric exports) received by the sink for "
            f"{counts['requests_served']} requests its handlers ran "
            f"({'all arrived' if counts['all_received'] else 'MISSING OR EXTRA SPANS'}; "
            f"wrk and the checks completed {counts['requests_sent']}, the rest were in flight "
            "when a run ended)"
        )
    for mode, budget in BUDGETS.items():
        if mode in summary:
            row = summary[mode]
            parts = [f"ratio {_fmt(row['ratio'], '.3f')} >= {budget.min_ratio:.2f}"]
            if budget.max_added_us is not None:
                parts.append(f"added {_fmt(row['added_us'], '.1f')} µs <= {budget.max_added_us:g}")
            if budget.max_p99_vs_bare is not None:
                parts.append(
                    f"p99 {_fmt(row['latency_p99_ms'], '.2f')} ms = "
                    f"{_fmt(row['p99_vs_bare'], '.2f')}x bare's <= {budget.max_p99_vs_bare:g}x"
                )
            if budget.min_vs_reference is not None:
                parts.append(
                    f"{_fmt(row['vs_reference'], '.2f')}x {REFERENCE_MODE}'s req/s "
                    f">= {budget.min_vs_reference:g}x "
                    f"({_fmt(row['vs_lean_reference'], '.2f')}x {LEAN_REFERENCE_MODE}'s)"
                )
            out.append(f"BUDGET {mode} ({facts['stack']}): {'; '.join(parts)}? {row['verdict']}")
    for mode in REFERENCE_MODES:
        if mode in summary:
            row = summary[mode]
            out.append(
                f"REFERENCE {mode}: ratio {_fmt(row['ratio'], '.3f')} "
                f"({row['verdict']} of the full-tracing ratio budget)"
            )
    return "\n".join(out)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="HTTP overhead benchmark (see module doc).")
    parser.add_argument(
        "--stack",
        choices=tuple(STACKS),
        default="uvloop-httptools",
        help="server loop and HTTP implementation (default uvloop-httptools, as "
        "uvicorn[standard] runs; asyncio-h11 is the pure-Python stack)",
    )
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--duration", type=int, default=5, help="seconds per run (default 5)")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up seconds per mode")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between runs")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--seed", type=int, default=2, help="seed of the round order")
    parser.add_argument("--server-cpu", type=int, default=0, help="core for the servers")
    parser.add_argument("--load-cpu", type=int, default=1, help="core for wrk and the sink")
    parser.add_argument("--no-pin", action="store_true", help="do not pin anything to a core")
    parser.add_argument(
        "--modes", nargs="+", choices=MODES, default=list(MODES), help="modes to run"
    )
    parser.add_argument(
        "--code-dir",
        type=Path,
        default=None,
        help="put this directory first on the servers' PYTHONPATH, to measure a modified "
        "copy of the signalpost package against the same bare app",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="JSON results file (default bench/results/http-<date>-<stack>.json)",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="check the machinery in seconds (1 round of 1 s, 1 s warm-up, 4 connections, "
        f"modes {' '.join(SMOKE_MODES)}, not pinned, a batch queue that cannot overflow); "
        "its figures mean nothing",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.rounds, args.duration, args.warmup, args.pause = 1, 1, 1, 0.2
        args.connections, args.threads, args.no_pin = 4, 1, True
        if args.modes == list(MODES):
            args.modes = list(SMOKE_MODES)
    for name in ("rounds", "duration", "connections", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.warmup < 1:
        parser.error("--warmup must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print the report, write the JSON results; 0 unless it broke."""
    args = _parse_args(argv)
    results = run(args)
    print(report(results))
    output = args.output or RESULTS_DIR / f"http-{time.strftime('%Y-%m-%d')}-{args.stack}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nresults written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
