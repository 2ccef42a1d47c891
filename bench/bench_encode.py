"""The export thread's cost per span (issue 25): scrubbing, then OTLP encoding, in process.

The spans are what ``signalpost-full`` exports for ``GET /items/{id}``: server spans recorded by
Signalpost's middleware through a real ``setup()`` (with the HTTP conventions' recommended
attributes, and without: ``tracing.recommended_attributes``), ``--batch`` of them, as the batch
span processor hands them to the exporter. Per span, best of ``--rounds`` (CPU time):

* scrub: :class:`~signalpost.sdk.scrubbing.SpanScrubber` in its steady state;
* SDK encode: the SDK's ``encode_spans`` and serialisation (what OpenTelemetry's exporter does);
* Signalpost encode: :class:`~signalpost.sdk.otlp_spans.SpanEncoder` and serialisation
  (checked to give the same bytes first);
* scrub + encode, one pass: the ``SpanEncoder`` given the ``SpanScrubber``, what Signalpost's
  OTLP/HTTP exporter runs since issue 25 (checked to give the bytes of scrub, then encode).

Usage: ``.venv/bin/python -m bench.bench_encode [--batch 512] [--rounds 7]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Callable, MutableMapping, Sequence
from pathlib import Path
from typing import Any

from signalpost.sdk import SetupOptions

if not __package__:  # run as a file: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from signalpost.errors.scrub import Scrubber
from signalpost.sdk.otlp_spans import SpanEncoder
from signalpost.sdk.scrubbing import SpanScrubber

__all__ = ["main", "measure", "server_spans"]


def server_spans(count: int, recommended: bool) -> list[ReadableSpan]:
    """``count`` server spans of ``GET /items/{i}`` recorded by Signalpost's middleware."""
    from prometheus_client import CollectorRegistry

    import signalpost.sdk
    from bench.http_apps import _bare_app

    for key in [k for k in os.environ if k.startswith(("OTEL_", "SIGNALPOST_"))]:
        del os.environ[key]
    os.environ.update(OTEL_SERVICE_NAME="bench-encode", OTEL_TRACES_EXPORTER="none")
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    app = _bare_app()
    signalpost.sdk.setup(
        app,
        overrides={"tracing": {"recommended_attributes": recommended}},
        options=SetupOptions(
            registry=CollectorRegistry(),
            tracer_provider=provider,
            set_global_providers=False,
            configure_logging=False,
        ),
    )

    async def call(item: int) -> None:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": f"/items/{item}",
            "raw_path": f"/items/{item}".encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"wrk")],
            "client": ("127.0.0.1", 50000 + item % 100),
            "server": ("127.0.0.1", 8000),
        }

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: MutableMapping[str, Any]) -> None:
            pass

        await app(scope, receive, send)

    async def calls() -> None:
        for item in range(count):
            await call(item % 50)

    asyncio.run(calls())
    return [s for s in memory.get_finished_spans() if s.name.startswith("GET ")]


def best_us(fn: Callable[[], object], per: int, rounds: int) -> float:
    """Best CPU µs per item of ``fn`` (which handles ``per`` items) over ``rounds`` calls."""
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best / per * 1e6


def measure(spans: Sequence[ReadableSpan], rounds: int) -> dict[str, float]:
    """µs per span: scrubbing (steady state), the SDK's encoding, Signalpost's encoding, and
    Signalpost's scrubbing encoder (both in one pass)."""
    scrubber, encoder = SpanScrubber(Scrubber()), SpanEncoder()
    fused = SpanEncoder(SpanScrubber(Scrubber()))
    scrubbed = [scrubber.span(s) for s in spans]  # warms the scrubber's caches
    sdk_bytes = encode_spans(scrubbed).SerializePartialToString()
    if encoder.serialize(scrubbed) != sdk_bytes:
        raise SystemExit("SpanEncoder's bytes differ from the SDK's: fix that first")
    if fused.serialize(spans) != sdk_bytes:
        raise SystemExit("the scrubbing SpanEncoder's bytes differ from scrub, then encode")
    n = len(spans)
    return {
        "attributes_per_span": float(len(spans[0].attributes or {})),
        "scrub_us": best_us(lambda: [scrubber.span(s) for s in spans], n, rounds),
        "sdk_encode_us": best_us(
            lambda: encode_spans(scrubbed).SerializePartialToString(), n, rounds
        ),
        "signalpost_encode_us": best_us(lambda: encoder.serialize(scrubbed), n, rounds),
        "scrub_and_encode_us": best_us(lambda: fused.serialize(spans), n, rounds),
    }


def main(argv: Sequence[str] | None = None) -> dict[str, dict[str, float]]:
    """Print and return µs per span of each step, with and without recommended attributes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--batch", type=int, default=512, help="spans per batch (default 512)")
    parser.add_argument("--rounds", type=int, default=7, help="rounds, the best counts")
    args = parser.parse_args(argv)
    results: dict[str, dict[str, float]] = {}
    for recommended in (True, False):
        spans = server_spans(args.batch, recommended)
        row = measure(spans, args.rounds)
        n = len(spans)
        label = "recommended attributes on " if recommended else "recommended attributes off"
        results[label] = row
        print(
            f"{label} ({row['attributes_per_span']:.0f} attributes, {n} spans): scrub "
            f"{row['scrub_us']:.2f} µs/span, SDK encode {row['sdk_encode_us']:.2f}, "
            f"Signalpost encode {row['signalpost_encode_us']:.2f} "
            f"({row['sdk_encode_us'] / row['signalpost_encode_us']:.1f}x less); "
            f"scrub + encode in one pass {row['scrub_and_encode_us']:.2f} "
            f"(two passes: {row['scrub_us'] + row['signalpost_encode_us']:.2f})",
            flush=True,
        )
    return results


if __name__ == "__main__":
    main()
