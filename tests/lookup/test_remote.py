"""Tempo and Loki readers against a fake HTTP server answering in their recorded formats.

Tempo's ``GET /api/traces/<id>`` answers the trace as protobuf JSON (``batches``, IDs in
base64); Loki's ``query_range`` answers streams whose labels include the structured metadata
(attribute names sanitised, values strings). The fake applies the LogQL label filters the
readers send. Unchecked against a running Tempo or Loki (they do not run here).
"""

from __future__ import annotations

import base64
import json
import re
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from signalpost.lookup.remote import TempoLoki
from signalpost.semconv import prometheus_label
from tests.lookup.recorded import Recorded
from tests.otlp_receiver import attributes


def _any(value: Any) -> dict[str, Any]:
    """An OTLP AnyValue in protobuf JSON (int64 as a string, as protojson writes it)."""
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return {"stringValue": value.string_value}
    if kind == "int_value":
        return {"intValue": str(value.int_value)}
    if kind == "double_value":
        return {"doubleValue": value.double_value}
    if kind == "bool_value":
        return {"boolValue": value.bool_value}
    if kind == "array_value":
        return {"arrayValue": {"values": [_any(v) for v in value.array_value.values]}}
    return {}


def _kvs(items: Any) -> list[dict[str, Any]]:
    return [{"key": kv.key, "value": _any(kv.value)} for kv in items]


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _span_json(span: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "traceId": _b64(span.trace_id), "spanId": _b64(span.span_id), "name": span.name,
        "kind": ["SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER",
                 "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER"][span.kind],
        "startTimeUnixNano": str(span.start_time_unix_nano),
        "endTimeUnixNano": str(span.end_time_unix_nano),
        "attributes": _kvs(span.attributes),
        "events": [{"timeUnixNano": str(e.time_unix_nano), "name": e.name,
                    "attributes": _kvs(e.attributes)} for e in span.events],
        "status": ({"code": ["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"]
                    [span.status.code], "message": span.status.message}
                   if span.status.code else {}),
    }
    if span.parent_span_id:
        out["parentSpanId"] = _b64(span.parent_span_id)
    return out


def _tempo_traces(recorded: Recorded) -> dict[str, dict[str, Any]]:
    """Tempo's answer per trace ID: ``{"batches": [ResourceSpans]}`` with only that trace."""
    out: dict[str, dict[str, Any]] = {}
    for batch in recorded.traces.resource_spans:
        resource = {"attributes": _kvs(batch.resource.attributes)}
        for scope in batch.scope_spans:
            for span in scope.spans:
                answer = out.setdefault(span.trace_id.hex(), {"batches": []})
                answer["batches"].append({"resource": resource, "scopeSpans": [
                    {"scope": {"name": scope.scope.name}, "spans": [_span_json(span)]}]})
    return out


def _loki_lines(recorded: Recorded) -> list[tuple[int, dict[str, str], str]]:
    """(time ns, labels with structured metadata, line) per log record, as Loki keeps them."""
    lines = []
    for rl in recorded.logs.resource_logs:
        service = attributes(rl.resource.attributes)["service.name"]
        for sl in rl.scope_logs:
            for record in sl.log_records:
                labels = {"service_name": service, "severity_text": record.severity_text}
                if record.trace_id:
                    labels["trace_id"] = record.trace_id.hex()
                    labels["span_id"] = record.span_id.hex()
                for key, value in attributes(record.attributes).items():
                    labels[prometheus_label(key)] = str(value)
                lines.append((record.time_unix_nano, labels, record.body.string_value))
    return lines


_FILTER = re.compile(r'\|\s*(\w+)\s*(=~|!=|=)\s*"((?:[^"\\]|\\.)*)"')


def _matches(labels: dict[str, str], query: str) -> bool:
    for key, op, value in _FILTER.findall(query):
        have = labels.get(key, "")
        if op == "=" and have != value:
            return False
        if op == "!=" and have == value:
            return False
        if op == "=~" and not re.fullmatch(value, have):
            return False
    return True


@pytest.fixture(scope="module")
def fake(recorded: Recorded) -> Iterator[tuple[str, list[str]]]:
    traces = _tempo_traces(recorded)
    lines = _loki_lines(recorded)
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            asked.append(self.path)
            if url.path.startswith("/api/traces/"):
                answer = traces.get(url.path.rsplit("/", 1)[1])
                if answer is None:
                    self.send_error(404)
                    return
                self._json(answer)
            elif url.path == "/loki/api/v1/query_range":
                query = urllib.parse.parse_qs(url.query)["query"][0]
                assert query.startswith('{service_name=~".+"}')
                streams = [
                    {"stream": labels, "values": [[str(ns), line]]}
                    for ns, labels, line in lines if _matches(labels, query)
                ]
                self._json({"status": "success",
                            "data": {"resultType": "streams", "result": streams}})
            else:
                self.send_error(404)

        def _json(self, data: Any) -> None:
            body = json.dumps(data).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()


def test_a_job_id_finds_its_trace_through_loki_then_tempo(
    fake: tuple[str, list[str]], recorded: Recorded
) -> None:
    url, asked = fake
    finding = TempoLoki(url, url).find(recorded.failed_job_id)
    assert finding.matched == "job"
    (trace,) = finding.traces
    assert trace.trace_id == recorded.enqueue_trace_id
    names = [s.name for s in trace.spans]
    assert names.count("job resume_parsing attempt") == 3
    (run,) = [s for s in trace.spans if s.name == "job resume_parsing"]
    (request,) = [s for s in trace.spans if s.span_id == run.parent_span_id]
    assert request.attributes["request.id"] == recorded.enqueue_request_id
    assert run.failed and run.attributes["job.attempt"] == 3
    assert request.instance == "api"
    (error,) = [x for x in trace.logs if x.is_error_record]
    assert error.attributes["exception.message"] == "resume of candidate 55 is not valid UTF-8"
    assert any(p.startswith(f"/api/traces/{recorded.enqueue_trace_id}") for p in asked)


def test_a_trace_id_and_a_request_id(fake: tuple[str, list[str]], recorded: Recorded) -> None:
    url, _ = fake
    reader = TempoLoki(url, url)
    by_trace = reader.find(recorded.failed_request_id)
    assert by_trace.matched == "trace"
    assert [s.name for s in by_trace.traces[0].spans] == ["GET /boom"]
    by_request = reader.find(recorded.client_request_id)
    assert by_request.matched == "request"
    assert by_request.traces[0].spans[0].attributes["request.id"] == "checkout-42"
    assert reader.find("nothing-like-it").matched == "none"


def test_runs_and_errors_from_loki(fake: tuple[str, list[str]], recorded: Recorded) -> None:
    url, _ = fake
    reader = TempoLoki(None, url)
    (run,) = reader.runs(job_type="resume_parsing", status="failed")
    assert (run.job_id, run.attempts, run.error_class, run.trace_id) == (
        "job-7", 3, "data", recorded.enqueue_trace_id
    )
    assert {r.job_id: r.status for r in reader.runs()} == {"job-7": "failed", "job-8": "succeeded"}
    assert {e.attributes["error.source"] for e in reader.errors()} == {"http", "job"}
    assert len(reader.errors(source="http")) == 2
