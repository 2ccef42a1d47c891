"""One wire form of a running job: what the endpoint and the publishers write, the CLI and the
endpoint read back, field for field."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from signalpost.cli.jobs_client import Run
from signalpost.errors.scrub import Scrubber
from signalpost.jobs.published import from_published, publishable
from signalpost.jobs.running import AttemptRecord, RunningJob
from signalpost.jobs.state import JobState
from signalpost.jobs.wire import from_json, to_json

JOB = RunningJob(
    job_id="j-1",
    job_type="etl",
    state=JobState.RETRYING,
    attempt=2,
    started_at=1_800_000_000.0,
    age=12.5,
    since_progress=2.0,
    done=3.0,
    total=4.0,
    message="row 3 of 4",
    cancel_requested=False,
    last_progress_at=1_800_000_010.5,
    trace_id="ab" * 16,
    attempts=(
        AttemptRecord(1, 0.0, True, "transient", "TimeoutError", True),
        AttemptRecord(2, 1.5),
    ),
    worker="celery@w1",
)


def test_the_form_round_trips_through_json() -> None:
    sent = json.loads(json.dumps(to_json(JOB, attempts=True)))
    assert from_json(sent) == JOB


def test_the_cli_reads_what_the_endpoint_writes() -> None:
    run = Run.from_json(json.loads(json.dumps(to_json(JOB))))
    assert (run.job_id, run.state, run.attempt, run.age, run.since_progress) == (
        "j-1",
        "retrying",
        2,
        12.5,
        2.0,
    )
    assert (run.done, run.total, run.ratio, run.message, run.progress_at) == (
        3.0,
        4.0,
        0.75,
        "row 3 of 4",
        1_800_000_010.5,
    )
    assert run.worker == "celery@w1"


def test_a_publication_is_the_wire_form_with_ages_recomputed_when_read() -> None:
    meta = json.loads(json.dumps(publishable(JOB, Scrubber())))
    assert {k for k in meta if k != "signalpost"} == set(to_json(JOB))
    read = from_published("j-1", meta, now=1_800_000_020.0)
    assert (read.age, read.since_progress) == (20.0, 9.5)
    assert (read.done, read.total, read.message, read.worker) == (
        3.0,
        4.0,
        "row 3 of 4",
        "celery@w1",
    )


@given(st.dictionaries(st.sampled_from(sorted(to_json(JOB))), st.from_type(object), max_size=8))
def test_any_form_reads_without_raising_when_the_id_is_known(raw: dict[str, object]) -> None:
    job = from_json(raw, job_id="given", now=1_800_000_000.0)
    assert job.job_id == "given" and job.attempt >= 1
