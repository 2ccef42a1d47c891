"""A stand-alone OTLP/HTTP sink for the benchmarks: accepts exports, counts them, answers 200.

Run as its own process (``python -m bench.otlp_sink --port 4318``) so that decoding the
exports never shares a GIL with the server under test or the load generator. It accepts
``POST /v1/traces``, ``/v1/logs`` and ``/v1/metrics`` (protobuf, optionally gzip), counts
requests, spans (all, and ``SERVER`` spans apart), log records and metric exports per
``service.name``, and serves the counts as JSON on
``GET /stats``. It stops by itself after ``--max-seconds`` (default one hour) at the latest.
"""

from __future__ import annotations

import argparse
import gzip
import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span

_SERVER = Span.SpanKind.SPAN_KIND_SERVER

__all__ = ["SinkStats", "main", "serve"]


def _service_name(resource: Any) -> str:
    for kv in resource.attributes:
        if kv.key == "service.name":
            return str(kv.value.string_value)
    return "unknown"


class SinkStats:
    """Counts of what the sink received, safe to update from the server's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.spans: Counter[str] = Counter()
        self.server_spans: Counter[str] = Counter()
        self.log_records: Counter[str] = Counter()
        self.metric_exports: Counter[str] = Counter()
        self.bad_requests = 0

    def add_traces(self, body: bytes) -> None:
        """Decode one trace export and count its spans (and its server spans) per service."""
        message = ExportTraceServiceRequest.FromString(body)
        counts: Counter[str] = Counter()
        servers: Counter[str] = Counter()
        for rs in message.resource_spans:
            service = _service_name(rs.resource)
            for ss in rs.scope_spans:
                counts[service] += len(ss.spans)
                servers[service] += sum(1 for span in ss.spans if span.kind == _SERVER)
        with self._lock:
            self.requests["traces"] += 1
            self.spans.update(counts)
            self.server_spans.update(servers)

    def add_logs(self, body: bytes) -> None:
        """Decode one log export and count its records per service."""
        message = ExportLogsServiceRequest.FromString(body)
        counts: Counter[str] = Counter()
        for rl in message.resource_logs:
            counts[_service_name(rl.resource)] += sum(len(sl.log_records) for sl in rl.scope_logs)
        with self._lock:
            self.requests["logs"] += 1
            self.log_records.update(counts)

    def add_metrics(self, body: bytes) -> None:
        """Decode one metrics export and count it per service."""
        message = ExportMetricsServiceRequest.FromString(body)
        services = Counter(_service_name(rm.resource) for rm in message.resource_metrics)
        with self._lock:
            self.requests["metrics"] += 1
            self.metric_exports.update(services)

    def snapshot(self) -> dict[str, Any]:
        """Return the counts as plain JSON-able data."""
        with self._lock:
            return {
                "requests": dict(self.requests),
                "spans": dict(self.spans),
                "server_spans": dict(self.server_spans),
                "log_records": dict(self.log_records),
                "metric_exports": dict(self.metric_exports),
                "bad_requests": self.bad_requests,
            }


def _handler_class(stats: SinkStats) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a collector would

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                if self.path == "/v1/traces":
                    stats.add_traces(body)
                    payload = ExportTraceServiceResponse().SerializeToString()
                elif self.path == "/v1/logs":
                    stats.add_logs(body)
                    payload = ExportLogsServiceResponse().SerializeToString()
                elif self.path == "/v1/metrics":
                    stats.add_metrics(body)
                    payload = ExportMetricsServiceResponse().SerializeToString()
                else:
                    self._reply(404, b"", "text/plain")
                    return
            except Exception:
                with stats._lock:
                    stats.bad_requests += 1
                self._reply(400, b"", "text/plain")
                return
            self._reply(200, payload, "application/x-protobuf")

        def do_GET(self) -> None:
            if self.path != "/stats":
                self._reply(404, b"", "text/plain")
                return
            self._reply(200, json.dumps(stats.snapshot()).encode(), "application/json")

        def _reply(self, status: int, payload: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def serve(host: str, port: int, max_seconds: float) -> None:
    """Serve until killed or until ``max_seconds`` have passed."""
    stats = SinkStats()
    server = ThreadingHTTPServer((host, port), _handler_class(stats))
    server.daemon_threads = True
    timer = threading.Timer(max_seconds, server.shutdown)
    timer.daemon = True
    timer.start()
    print(f"otlp sink listening on http://{host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        timer.cancel()
        server.server_close()


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m bench.otlp_sink [--host H] [--port P] [--max-seconds S]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4318)
    parser.add_argument("--max-seconds", type=float, default=3600.0)
    args = parser.parse_args(argv)
    serve(args.host, args.port, args.max_seconds)


if __name__ == "__main__":
    main()
