"""Real telemetry for the lookup tests: a FastAPI app set up by ``signalpost.setup`` whose
request enqueues a job that is retried and fails, a request that fails with a 500, and a job
that succeeds, recorded by the real SDK and encoded as the OTLP exporters encode them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry
from starlette.testclient import TestClient

import signalpost
from signalpost.sdk import SetupOptions
from signalpost.sdk.setup import setup

__all__ = ["Recorded", "record"]


@dataclass(frozen=True)
class Recorded:
    traces: ExportTraceServiceRequest
    logs: ExportLogsServiceRequest
    failed_job_id: str
    enqueue_request_id: str
    enqueue_trace_id: str
    failed_request_id: str
    succeeded_job_id: str
    client_request_id: str


def record() -> Recorded:
    """Run the scenario once; returns what the exporters would have sent."""
    resource = Resource.create({"service.name": "lookup-test", "service.instance.id": "api"})
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    logs = InMemoryLogRecordExporter()
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
    app = FastAPI()
    queue: list[tuple[dict[str, str], str | None]] = []

    @app.post("/candidates")
    async def create() -> dict[str, Any]:
        queue.append((signalpost.inject_context(), signalpost.current_request_id()))
        return {"parse_job_id": "job-7"}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("recommendation cache returned a corrupt entry")

    telemetry = setup(
        app,
        options=SetupOptions(
            registry=CollectorRegistry(),
            tracer_provider=tracer_provider,
            logger_provider=logger_provider,
            set_global_providers=False,
        ),
    )
    try:
        client = TestClient(app, raise_server_exceptions=False)
        enqueued = client.post("/candidates")
        failed = client.get("/boom")
        assert failed.status_code == 500
        client_chosen = client.get("/boom", headers={"X-Request-ID": "checkout-42"})
        assert client_chosen.headers["x-request-id"] == "checkout-42"
        carrier, request_id = queue.pop()
        attempts = iter([signalpost.TransientError("document store connection reset")] * 2
                        + [signalpost.DataError("resume of candidate 55 is not valid UTF-8")])

        @signalpost.monitored_job(
            "resume_parsing", job_id="job-7", parent=carrier,
            params={"request.id": request_id, "candidate_id": 55},
            retry=signalpost.RetryPolicy(max_attempts=4, base_delay=0.01, jitter=0.0),
        )
        def parse() -> None:
            raise next(attempts)

        @signalpost.monitored_job("matching", job_id="job-8")
        def match() -> int:
            return 3

        try:
            parse()
        except signalpost.DataError:
            pass
        match()
    finally:
        telemetry.shutdown()
    finished = spans.get_finished_spans()
    server = next(s for s in finished if s.name == "POST /candidates")
    assert server.context is not None
    return Recorded(
        traces=encode_spans(finished),
        logs=encode_logs(logs.get_finished_logs()),
        failed_job_id="job-7",
        enqueue_request_id=enqueued.headers["x-request-id"],
        enqueue_trace_id=f"{server.context.trace_id:032x}",
        failed_request_id=failed.headers["x-request-id"],
        succeeded_job_id="job-8",
        client_request_id="checkout-42",
    )
