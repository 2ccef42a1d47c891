"""What scrubbing costs, per request and per span: an in-process micro-benchmark.

Run: ``.venv/bin/python -m bench.bench_scrub [--number 20000]``

Measured, each as the best of 5 rounds (``timeit`` style, so that slower rounds measuring other
processes on a shared machine do not count):

* ``url.path`` on the request path: :meth:`Scrubber.scrub_path` of a typical REST path, the only
  scrubbing a successful request pays on the request thread (recording spans only);
* the export-thread copy of a successful request's server span
  (:class:`~signalpost.sdk.scrubbing.SpanScrubber`), steady state (values repeat and are
  cached) and cold (every value new);
* a log record through :class:`~signalpost.sdk.logscrub.ScrubbingFilter` (one per record
  written, successful requests write none);
* a failed request's extra work: the span's exception event built from the error record.

Reports microseconds per operation; there is no budget and no exit status.
"""

from __future__ import annotations

import argparse
import logging
import timeit
from collections.abc import Callable

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from signalpost.errors.scrub import Scrubber
from signalpost.sdk.logscrub import ScrubbingFilter
from signalpost.sdk.scrubbing import SpanScrubber

PATH = "/api/v1/candidates/48213/matches/550e8400-e29b-41d4-a716-446655440000"


def best_us(func: Callable[[], object], number: int) -> float:
    return min(timeit.repeat(func, number=number, repeat=5)) / number * 1e6


def server_span(path: str) -> object:
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "bench"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("bench")
    span = tracer.start_span("GET /api/v1/candidates/{id}", kind=SpanKind.SERVER)
    span.set_attributes(
        {
            "http.request.method": "GET",
            "url.path": path,
            "url.scheme": "http",
            "request.id": "4bf92f3577b34da6a3ce929d0e0e4736",
            "network.protocol.version": "1.1",
            "server.address": "127.0.0.1",
            "server.port": 8000,
            "client.address": "10.0.0.7",
            "user_agent.original": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36",
            "http.route": "/api/v1/candidates/{candidate_id}/matches/{match_id}",
            "http.response.status_code": 200,
        }
    )
    span.end()
    return memory.get_finished_spans()[0]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--number", type=int, default=20000)
    number = parser.parse_args(argv).number
    scrubber = Scrubber()

    path_us = best_us(lambda: scrubber.scrub_path(PATH), number)

    spans = SpanScrubber(scrubber)
    span = server_span(PATH)
    warm_us = best_us(lambda: spans.span(span), number)  # type: ignore[arg-type]

    def cold() -> object:
        fresh = SpanScrubber(scrubber)  # an empty cache: every value scrubbed
        return fresh.span(span)  # type: ignore[arg-type]

    cold_us = best_us(cold, max(number // 10, 100))

    log_filter = ScrubbingFilter(scrubber)

    def log_record() -> None:
        record = logging.LogRecord(
            "app", logging.INFO, __file__, 1, "scored %d candidates for %s", (120, "job-7"), None
        )
        record.__dict__["job.type"] = "ai_matching"
        log_filter.filter(record)

    record_us = best_us(log_record, number)

    print(f"url.path scrub on the request thread (recording spans): {path_us:6.2f} us/request")
    print(f"server span copy on the export thread, steady state:    {warm_us:6.2f} us/span")
    print(f"server span copy on the export thread, cold cache:      {cold_us:6.2f} us/span")
    print(f"log record through the scrubbing filter:                {record_us:6.2f} us/record")


if __name__ == "__main__":
    main()
