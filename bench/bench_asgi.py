"""In-process cost of the middleware per request: ASGI calls, no socket, no server, no wrk.

``bench_http.py`` measures what users see, but wrk's figures move by a few percent between
runs, which is tens of microseconds a request: too coarse for a change of 2 µs. This benchmark
calls the same FastAPI apps (``bench.http_apps``) directly with an ASGI scope for
``GET /items/42`` in a loop on one event loop and measures the **CPU time of the process** per
request (``time.process_time``: all threads, so the batch processor's export thread counts, and
time the process spent descheduled by other load does not). Modes:

* ``bare``: FastAPI, nothing added;
* ``metrics``: :func:`signalpost.sdk.setup` with tracing off (metrics, request IDs,
  error capture), as ``signalpost-metrics`` in the HTTP benchmark;
* ``tracing``: everything on, 100 % sampled, spans through the SDK's ``BatchSpanProcessor``
  to an exporter that drops them: the cost on the request path;
* ``tracing-otlp``: the same, but every batch is scrubbed and encoded to OTLP protobuf bytes as
  set-up's OTLP/HTTP exporter does before it sends (the export thread's CPU, minus the
  network).

Rounds visit every mode once in a shuffled (seeded) order; each round ends with a flush of the
batch processor so the spans of a round are encoded in that round. The report gives, per mode,
the best and the median µs per request over the rounds, and the added µs over bare **paired per
round** (median and best of the per-round differences). Budget: ``metrics`` adds at most 10 µs
a request (issue 13). Every request is checked (status 200, body, request ID header). As
``setup()`` does once an app has started, the heap is frozen after the warm-up
(``--no-gc-freeze`` to compare); the collector's collections and pauses are reported per mode.

Usage: ``.venv/bin/python -m bench.bench_asgi [--rounds 15] [--requests 2000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib.util
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from signalpost.sdk import SetupOptions

if not __package__:  # run as a file: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from bench.http_apps import GcPauses
from signalpost.errors.scrub import Scrubber
from signalpost.sdk.otlp_spans import SpanEncoder
from signalpost.sdk.scrubbing import SpanScrubber

__all__ = ["MODES", "main"]

MODES = ("bare", "metrics", "tracing", "tracing-otlp")
METRICS_BUDGET_US = 10.0
EXPECTED_BODY = {"item_id": 42, "name": "widget", "price": 9.5, "tags": ["a", "b"]}
ASGIApp = Callable[..., Any]


class DropExporter(SpanExporter):
    """Accepts spans and drops them: the request path's cost, not the export's."""

    def __init__(self) -> None:
        self.spans = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.spans += len(spans)
        return SpanExportResult.SUCCESS


class EncodeExporter(DropExporter):
    """Scrubs and encodes each batch to OTLP protobuf bytes as Signalpost's OTLP/HTTP exporter
    does (:class:`~signalpost.sdk.otlp_spans.SpanEncoder` with a scrubber), then drops
    it."""

    def __init__(self) -> None:
        super().__init__()
        self.bytes = 0
        self._encoder = SpanEncoder(SpanScrubber(Scrubber()))

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.bytes += len(self._encoder.serialize(spans))
        return super().export(spans)


def _environment() -> None:
    """What the HTTP benchmark's servers get: no OTLP logs or metrics, always-on sampling."""
    for key in list(os.environ):
        if key.startswith(("OTEL_", "SIGNALPOST_")):
            del os.environ[key]
    os.environ.update(
        OTEL_SERVICE_NAME="bench-asgi",
        OTEL_TRACES_SAMPLER="always_on",
        OTEL_LOGS_EXPORTER="none",
        OTEL_METRICS_EXPORTER="none",
        OTEL_TRACES_EXPORTER="none",
    )


def build(mode: str) -> tuple[ASGIApp, TracerProvider | None, DropExporter | None]:
    """Build one mode's app: the benchmark's FastAPI app, instrumented as the mode says."""
    from prometheus_client import CollectorRegistry

    import signalpost.sdk
    from bench.http_apps import _bare_app

    app = _bare_app()
    if mode == "bare":
        return app, None, None
    if mode == "metrics":
        signalpost.sdk.setup(
            app,
            overrides={"tracing": {"enabled": False}},
            options=SetupOptions(
                registry=CollectorRegistry(),
                set_global_providers=False,
                configure_logging=False,
            ),
        )
        return app, None, None
    exporter = EncodeExporter() if mode == "tracing-otlp" else DropExporter()
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(exporter))
    signalpost.sdk.setup(
        app,
        options=SetupOptions(
            registry=CollectorRegistry(),
            tracer_provider=provider,
            set_global_providers=False,
            configure_logging=False,
        ),
    )
    return app, provider, exporter


def _scope() -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/items/42",
        "raw_path": b"/items/42",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"user-agent", b"bench-asgi"),
            (b"accept", b"*/*"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def _serve(app: ASGIApp, n: int) -> list[dict[str, Any]]:
    """Call the app ``n`` times; return the messages of the last response."""
    request = {"type": "http.request", "body": b"", "more_body": False}

    async def receive() -> dict[str, Any]:
        return request

    sent: list[dict[str, Any]] = []
    append = sent.append

    async def send(message: dict[str, Any]) -> None:
        append(message)

    for _ in range(n):
        sent.clear()
        await app(_scope(), receive, send)
    return sent


def check(mode: str, messages: list[dict[str, Any]]) -> None:
    """The response must be 200 with the expected JSON, and carry a request ID when ours."""
    start = messages[0]
    body = b"".join(m.get("body", b"") for m in messages[1:])
    headers = {k.lower(): v for k, v in start.get("headers", [])}
    problems = []
    if start.get("status") != 200:
        problems.append(f"status {start.get('status')}")
    if json.loads(body) != EXPECTED_BODY:
        problems.append(f"body {body[:200]!r}")
    if mode != "bare" and b"x-request-id" not in headers:
        problems.append("no X-Request-ID header")
    if problems:
        raise SystemExit(f"{mode}: wrong answer: {'; '.join(problems)}")


def measure(
    loop: asyncio.AbstractEventLoop,
    app: ASGIApp,
    provider: TracerProvider | None,
    n: int,
    pauses: GcPauses | None = None,
) -> float:
    """CPU microseconds per request for ``n`` requests, including the flush of their spans."""
    if pauses is not None:
        gc.callbacks.append(pauses.callback)
    try:
        start = time.process_time()
        loop.run_until_complete(_serve(app, n))
        if provider is not None:
            provider.force_flush()
        return (time.process_time() - start) / n * 1e6
    finally:
        if pauses is not None:
            gc.callbacks.remove(pauses.callback)


def _new_loop(stack: str) -> asyncio.AbstractEventLoop:
    if stack == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Build, check, warm up, and measure every mode in interleaved rounds."""
    _environment()
    loop = _new_loop(args.loop)
    built = {mode: build(mode) for mode in args.modes}
    for mode, (app, _, _) in built.items():
        check(mode, loop.run_until_complete(_serve(app, 1)))
    for app, provider, _ in built.values():
        measure(loop, app, provider, args.requests)  # warm-up
    if args.gc_freeze:
        from signalpost.sdk.gcfreeze import freeze_startup_heap

        freeze_startup_heap()  # what setup() does once the app's start-up has run
    pauses = {mode: GcPauses() for mode in args.modes}
    rng = random.Random(args.seed)
    per_round: list[dict[str, float]] = []
    for _ in range(args.rounds):
        order = list(args.modes)
        rng.shuffle(order)
        row = {}
        for mode in order:
            app, provider, _ = built[mode]
            row[mode] = measure(loop, app, provider, args.requests, pauses[mode])
        per_round.append(row)
    exported = {}
    for mode, (_, provider, exporter) in built.items():
        if provider is not None and exporter is not None:
            provider.shutdown()
            exported[mode] = exporter.spans
    loop.close()

    summary: dict[str, dict[str, Any]] = {}
    for mode in args.modes:
        values = [r[mode] for r in per_round]
        added = [r[mode] - r["bare"] for r in per_round]
        summary[mode] = {
            "best_us": round(min(values), 2),
            "median_us": round(statistics.median(values), 2),
            "added_us_median_paired": round(statistics.median(added), 2),
            "added_us_best": round(min(values) - min(r["bare"] for r in per_round), 2),
            "added_us_iqr": _iqr(added),
            "gc": _gc_summary(pauses[mode], args.rounds * args.requests),
        }
    return {
        "benchmark": "asgi",
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "loop": args.loop,
        "python": sys.version.split()[0],
        "rounds": args.rounds,
        "requests_per_round": args.requests,
        "gc_thresholds": gc.get_threshold(),
        "gc_freeze": args.gc_freeze,
        "gc_frozen_objects": gc.get_freeze_count(),
        "summary": summary,
        "spans_exported": exported,
        "rounds_us": per_round,
    }


def _gc_summary(pauses: GcPauses, requests: int) -> dict[str, Any]:
    return {
        "collections_per_10k_requests": [round(c * 10_000 / requests, 1) for c in pauses.counts],
        "pause_us_per_request": round(sum(pauses.seconds) / requests * 1e6, 2),
        "full_collection_max_ms": round(pauses.max_seconds[2] * 1e3, 2),
        "full_collection_mean_ms": (
            round(pauses.seconds[2] / pauses.counts[2] * 1e3, 2) if pauses.counts[2] else None
        ),
    }


def _iqr(values: list[float]) -> list[float]:
    if len(values) < 4:
        return [round(min(values), 2), round(max(values), 2)]
    q = statistics.quantiles(values, n=4)
    return [round(q[0], 2), round(q[2], 2)]


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def report(results: dict[str, Any]) -> str:
    """The table: µs of CPU per request per mode, and what each adds over bare."""
    header = (
        f"{'mode':<14} {'best µs':>8} {'median µs':>10} {'added µs (paired median)':>25} "
        f"{'IQR':>15} {'added µs (best)':>16}  budget"
    )
    lines = [
        f"CPU per request in process, {results['loop']} loop, Python {results['python']}, "
        f"{results['rounds']} rounds x {results['requests_per_round']} requests",
        header,
        "-" * len(header),
    ]
    for mode, row in results["summary"].items():
        budget = ""
        if mode == "metrics":
            ok = row["added_us_median_paired"] <= METRICS_BUDGET_US
            budget = f"<= {METRICS_BUDGET_US:g} µs {'PASS' if ok else 'FAIL'}"
        low, high = row["added_us_iqr"]
        iqr = "-" if mode == "bare" else f"{low:.1f}..{high:.1f}"
        added = "-" if mode == "bare" else f"{row['added_us_median_paired']:.1f}"
        added_best = "-" if mode == "bare" else f"{row['added_us_best']:.1f}"
        lines.append(
            f"{mode:<14} {row['best_us']:>8.1f} {row['median_us']:>10.1f} {added:>25} "
            f"{iqr:>15} {added_best:>16}  {budget}"
        )
    lines += [
        "",
        f"Cyclic GC during the measured rounds (thresholds {tuple(results['gc_thresholds'])}, "
        f"start-up heap {'frozen' if results['gc_freeze'] else 'not frozen'}, "
        f"{results['gc_frozen_objects']} objects frozen):",
        f"{'mode':<14} {'gen0/gen1/gen2 per 10k req':>27} {'GC µs/req':>10} "
        f"{'full: mean ms':>14} {'max ms':>7}",
    ]
    for mode, row in results["summary"].items():
        g = row["gc"]
        per = "/".join(f"{c:g}" for c in g["collections_per_10k_requests"])
        lines.append(
            f"{mode:<14} {per:>27} {g['pause_us_per_request']:>10.2f} "
            f"{_fmt(g['full_collection_mean_ms']):>14} {g['full_collection_max_ms']:>7.2f}"
        )
    for mode, spans in results["spans_exported"].items():
        lines.append(f"spans exported by {mode}: {spans}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run, print the table, optionally write JSON; exit 0 (a report, not a test)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--requests", type=int, default=2000, help="requests per round")
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    have_uvloop = importlib.util.find_spec("uvloop") is not None
    parser.add_argument(
        "--loop", choices=("uvloop", "asyncio"), default="uvloop" if have_uvloop else "asyncio"
    )
    parser.add_argument(
        "--no-gc-freeze",
        dest="gc_freeze",
        action="store_false",
        help="do not freeze the heap after warm-up (setup() freezes it after the app's "
        "start-up by default, and so does this benchmark)",
    )
    parser.add_argument("--output", type=Path, default=None, help="write the results as JSON")
    args = parser.parse_args(argv)
    if "bare" not in args.modes:
        parser.error("--modes must include bare")
    if args.rounds < 1 or args.requests < 1:
        parser.error("--rounds and --requests must be at least 1")
    results = run(args)
    print(report(results))
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(results, indent=2) + "\n")
        print(f"results written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
