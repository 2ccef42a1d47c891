"""Reading the local store: a trace, request or job ID finds its traces; runs and errors."""

from __future__ import annotations

import json
from datetime import timedelta

from signalpost.jobs.running import RunningJobs
from signalpost.lookup.localstore import LocalStore
from signalpost.lookup.model import Finding, Run
from signalpost.serving.jobs.endpoint import JobsEndpoint
from tests.lookup.recorded import Recorded


def test_a_job_id_finds_its_run_its_retries_and_the_request_that_enqueued_it(
    store: str, recorded: Recorded
) -> None:
    finding = LocalStore(store).find(recorded.failed_job_id)
    assert finding.matched == "job"
    (trace,) = finding.traces
    assert trace.trace_id == recorded.enqueue_trace_id
    by_id = {s.span_id: s for s in trace.spans}
    (run,) = [s for s in trace.spans if s.name == "job resume_parsing"]
    request = by_id[run.parent_span_id or ""]
    assert request.name == "POST /candidates"
    assert request.attributes["request.id"] == recorded.enqueue_request_id
    assert request.instance == "api"
    assert run.failed and run.attributes["job.status"] == "failed"
    attempts = sorted(
        (s.attributes["job.attempt"], s.failed) for s in trace.spans
        if s.parent_span_id == run.span_id and s.name == "job resume_parsing attempt"
    )
    assert attempts == [(1, True), (2, True), (3, True)]
    retries = [e for e in run.events if e["name"] == "job.retry_scheduled"]
    assert [e["attributes"]["job.attempt"] for e in retries] == [1, 2]
    (error,) = [x for x in trace.logs if x.is_error_record]
    assert error.attributes["exception.message"] == "resume of candidate 55 is not valid UTF-8"
    assert error.attributes["error.class"] == "data"
    assert "Traceback" in error.attributes["exception.stacktrace"]
    events = [x.attributes.get("job.event") for x in trace.logs]
    assert events == ["started", "retry_scheduled", "retry_scheduled", "failed"]


def test_a_request_id_from_a_500_finds_its_span_and_error_record(
    store: str, recorded: Recorded
) -> None:
    finding = LocalStore(store).find(recorded.failed_request_id)
    # The generated request ID is the trace ID: the same lookup either way.
    assert finding.matched in ("request", "trace")
    (trace,) = finding.traces
    (span,) = trace.spans
    assert (span.name, span.attributes["http.response.status_code"]) == ("GET /boom", 500)
    assert span.failed
    (error,) = [x for x in trace.logs if x.is_error_record]
    assert error.attributes["exception.type"] == "RuntimeError"
    assert error.attributes["request.id"] == recorded.failed_request_id


def test_a_client_chosen_request_id_is_found_by_its_attribute(
    store: str, recorded: Recorded
) -> None:
    reader = LocalStore(store)
    finding = reader.find(recorded.client_request_id)
    assert finding.matched == "request"
    (trace,) = finding.traces
    assert [s.attributes["request.id"] for s in trace.spans] == ["checkout-42"]
    assert [x.attributes["request.id"] for x in trace.logs if x.is_error_record] == [
        "checkout-42"
    ]
    assert reader.find("no-such-id").matched == "none"
    assert reader.find("f" * 32).matched == "none"


def test_runs_lists_finished_runs_with_outcome_attempts_and_trace(
    store: str, recorded: Recorded
) -> None:
    reader = LocalStore(store)
    failed = reader.runs(job_type="resume_parsing", status="failed", since=timedelta(hours=1))
    assert [(r.job_id, r.status, r.attempts, r.error_class) for r in failed] == [
        (recorded.failed_job_id, "failed", 3, "data")
    ]
    assert failed[0].exception_type == "signalpost.errors.classify.DataError"
    assert failed[0].trace_id == recorded.enqueue_trace_id
    assert failed[0].duration_s is not None and failed[0].duration_s > 0.02  # two back-offs
    every = reader.runs(since=timedelta(hours=1))
    assert {r.job_id: r.status for r in every} == {"job-7": "failed", "job-8": "succeeded"}
    assert reader.runs(status="failed", since=timedelta(hours=1), job_type="matching") == []
    assert reader.run("job-8") == next(r for r in every if r.job_id == "job-8")


def test_errors_lists_error_records_by_source(store: str, recorded: Recorded) -> None:
    reader = LocalStore(store)
    http = reader.errors(source="http", since=timedelta(hours=1))
    assert [e.attributes["request.id"] for e in http] == [
        recorded.client_request_id, recorded.failed_request_id
    ]
    jobs = reader.errors(source="job")
    assert [e.attributes["job.id"] for e in jobs] == [recorded.failed_job_id]
    # Retry lines carry an exception type too; they are not error records.
    assert len(reader.errors()) == 3


def test_the_wire_form_round_trips(store: str, recorded: Recorded) -> None:
    finding = LocalStore(store).find(recorded.failed_job_id)
    assert Finding.from_json(finding.to_json()).to_json() == finding.to_json()
    (run,) = LocalStore(store).runs(status="failed")
    assert Run.from_json(run.to_json()) == run


def test_the_jobs_endpoint_answers_for_a_finished_run_from_the_store(
    store: str, recorded: Recorded
) -> None:
    endpoint = JobsEndpoint(RunningJobs(), finished=LocalStore(store))
    status, _, body = endpoint.respond("GET", f"/{recorded.failed_job_id}")
    assert status == 200
    answer = json.loads(body)
    assert answer["runs_with_this_id"] == 0
    finished = answer["finished_run"]
    assert (finished["status"], finished["attempts"], finished["error_class"]) == (
        "failed", 3, "data"
    )
    assert finished["trace_id"] == recorded.enqueue_trace_id
    assert endpoint.respond("GET", "/no-such-job")[0] == 404
    assert JobsEndpoint(RunningJobs()).respond("GET", f"/{recorded.failed_job_id}")[0] == 404
