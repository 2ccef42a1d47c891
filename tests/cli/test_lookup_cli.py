"""``python -m signalpost lookup``, ``runs`` and ``errors`` on the local store."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

import signalpost.__main__ as cli
from signalpost.cli.lookup_view import render_errors, render_finding, render_runs
from signalpost.lookup.model import Finding, LogEntry, Run, Span, Trace
from tests.lookup.fixtures import recorded, store
from tests.lookup.recorded import Recorded
from tests.servers import REPO, free_port

__all__ = ["recorded", "store"]  # the fixtures this module uses


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = cli.main(list(argv))
    return status, capsys.readouterr().out


@pytest.fixture(autouse=True)
def _wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    for name in ("SIGNALPOST_LOOKUP_DSN", "SIGNALPOST_LOOKUP_TEMPO_URL",
                 "SIGNALPOST_LOOKUP_LOKI_URL"):
        monkeypatch.delenv(name, raising=False)


def test_lookup_of_a_job_id_shows_the_request_the_run_the_retries_and_the_error(
    store: str, recorded: Recorded, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = _run(capsys, "lookup", recorded.failed_job_id, "--dsn", store)
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == f"{recorded.failed_job_id}: job ID, 1 trace(s)"
    assert f"request {recorded.enqueue_request_id}: POST /candidates -> 200" in out
    assert ("run of job job-7 (resume_parsing): failed after 3 attempt(s)" in out
            and f"enqueued by request {recorded.enqueue_request_id}" in out)
    # The tree: the run under the request, its attempts under the run.
    request = next(i for i, line in enumerate(lines) if "POST /candidates  [" in line)
    run = next(i for i, line in enumerate(lines) if "job resume_parsing  [" in line)
    attempts = [i for i, line in enumerate(lines) if "job resume_parsing attempt  [" in line]
    assert request < run < attempts[0] and len(attempts) == 3
    indent = {i: len(lines[i]) - len(lines[i].lstrip(" │├└─")) for i in (request, run)}
    assert indent[request] < indent[run]
    assert "ERROR failed: DataError" in lines[run]
    assert re.search(r"retry scheduled after attempt 1: TransientError \(transient\)", out)
    assert "DataError: resume of candidate 55 is not valid UTF-8" in out
    assert "raise next(attempts)" in out  # the stack trace's last lines
    assert re.search(r"looked up in \d+\.\d\d s", out)


def test_lookup_json_is_the_wire_form(
    store: str, recorded: Recorded, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = _run(capsys, "lookup", recorded.failed_request_id, "--dsn", store, "--json")
    assert status == 0
    data = json.loads(out)
    (trace,) = data["traces"]
    assert [s["name"] for s in trace["spans"]] == ["GET /boom"]
    assert trace["spans"][0]["status"] == "error"
    assert [x["attributes"]["exception.type"] for x in trace["logs"]
            if "error.fingerprint" in x["attributes"]] == ["RuntimeError"]


def test_lookup_of_an_unknown_id_exits_1(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = _run(capsys, "lookup", "nothing-like-it", "--dsn", store)
    assert (status, out.splitlines()[0]) == (
        1, "nothing found for 'nothing-like-it' (trace, request or job ID)"
    )


def test_runs_and_errors(
    store: str, recorded: Recorded, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = _run(capsys, "runs", "--type", "resume_parsing", "--status", "failed",
                       "--since", "1h", "--dsn", store)
    assert status == 0
    (row,) = [line for line in out.splitlines() if "job-7" in line]
    assert "resume_parsing" in row and "failed" in row and "data DataError" in row
    assert recorded.enqueue_trace_id in row
    status, out = _run(capsys, "runs", "--json", "--dsn", store)
    assert {r["job_id"]: r["attempts"] for r in json.loads(out)} == {"job-7": 3, "job-8": 1}
    status, out = _run(capsys, "errors", "--source", "http", "--dsn", store)
    assert status == 0 and out.count("RuntimeError") == 2
    assert recorded.failed_request_id in out


def test_a_bad_since_and_an_unreachable_store_fail_with_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["runs", "--since", "yesterday"])
    assert exited.value.code == 2
    assert "expected a duration such as 30m, 1h or 2d" in capsys.readouterr().err
    dsn = f"host=127.0.0.1 port={free_port()} user=postgres dbname=x connect_timeout=2"
    done = subprocess.run(
        [sys.executable, "-m", "signalpost", "lookup", "abc", "--dsn", dsn],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("signalpost: cannot read the store: OperationalError")
    assert len(done.stderr.strip().splitlines()) == 1


_PIECES = [*"[]/\\\x1b\x07\x00\r\nab=:", "[bold]", "[/]", "\x1b[31m", "[link=x]"]
_HOSTILE = st.lists(st.sampled_from(_PIECES), max_size=12).map("".join)


@settings(max_examples=60, deadline=None)
@given(name=_HOSTILE, body=_HOSTILE, value=_HOSTILE)
def test_what_services_sent_is_shown_as_text_never_as_markup_or_escapes(
    name: str, body: str, value: str
) -> None:
    when = datetime(2026, 12, 5, tzinfo=UTC)
    span = Span("a" * 32, "b" * 16, None, name, name, when, 1000, 2, value,
                attributes={"request.id": value, "job.id": value, "job.max_attempts": 1,
                            value: value},
                events=[{"name": "job.retry_scheduled", "attributes": {"exception.type": value}}])
    log = LogEntry(when, name, 17, value, body, "a" * 32, "b" * 16,
                   {"exception.type": value, "error.fingerprint": value, "job.id": value,
                    "exception.stacktrace": body}, instance=value)
    out = io.StringIO()
    console = Console(file=out, width=200, color_system=None)
    render_finding(Finding(value, "job", [Trace("a" * 32, [span], [log])], [log]), console)
    render_runs([Run.from_log(log)], console)
    render_errors([log], console)
    render_finding(Finding(value, "none", []), console)
    text = out.getvalue()
    assert "\x1b" not in text and "\x07" not in text and "\x00" not in text
    if "[bold]" in body:
        assert "[bold]" in text  # shown, not applied
