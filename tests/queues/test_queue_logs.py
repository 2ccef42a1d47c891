"""A queue's own log lines (arq's, Celery's) are scrubbed in place, for every handler,
the queue's own included."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from arq.utils import args_to_string

from signalpost.errors.scrub import Scrubber
from signalpost.integrations.queuelogs import (
    ARQ_LOGGERS,
    CELERY_LOGGERS,
    QueueLogScrubber,
    scrub_loggers,
)
from tests.secrets_fixture import SECRETS, assert_no_secret_in

TOKEN = "ghp_R8x2LmQ7vTz9KpW3nY6cB1dF4hJ0sA5eG7uI"


@pytest.fixture
def arq_output() -> Iterator[io.StringIO]:
    """What a handler like the one ``arq``'s command line installs on ``arq`` writes,
    installed after the filter (as dictConfig does when the worker starts)."""
    scrub_loggers(ARQ_LOGGERS)
    scrub_loggers(CELERY_LOGGERS)
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(message)s"))
    parents = [logging.getLogger("arq"), logging.getLogger("celery")]
    levels = [parent.level for parent in parents]
    for parent in parents:
        parent.addHandler(handler)
        parent.setLevel(logging.INFO)
    try:
        yield out
    finally:
        for parent, level in zip(parents, levels, strict=True):
            parent.removeHandler(handler)
            parent.setLevel(level)


def test_job_arguments_results_and_tracebacks_are_scrubbed(arq_output: io.StringIO) -> None:
    log = logging.getLogger("arq.worker")
    arguments = args_to_string((), {"notes": [s.text for s in SECRETS[:1]], "token": TOKEN})
    log.info("%6.2fs → %s(%s)%s", 0.01, "id:leak", arguments, "")
    log.info("%6.2fs ← %s ● %s", 0.01, "id:leak", repr({"password": "hunter2"}))
    try:
        raise RuntimeError("could not log in: " + "; ".join(s.text for s in SECRETS))
    except RuntimeError:
        log.exception("%6.2fs ! %s failed, %s: %s", 0.01, "id:leak", "RuntimeError", "x")
    text = arq_output.getvalue()
    assert "id:leak(" in text and "[Filtered]" in text and "Traceback" in text
    assert "hunter2" not in text
    assert_no_secret_in(log_output=text)


def test_an_argument_cut_by_arq_is_dropped_not_left_as_a_fragment(
    arq_output: io.StringIO,
) -> None:
    arguments = args_to_string(("batch-7", "x" * 40, TOKEN), {})
    assert arguments.endswith("…") and TOKEN[:10] in arguments  # arq cut the token
    logging.getLogger("arq.worker").info("%6.2fs → %s(%s)%s", 0.0, "id:f", arguments, "")
    line = arq_output.getvalue().rstrip("\n")
    assert line == f"  0.00s → id:f('batch-7', '{'x' * 40}', …)"


def test_every_arq_logger_is_covered_and_a_bad_record_is_withheld(
    arq_output: io.StringIO,
) -> None:
    names = ARQ_LOGGERS + CELERY_LOGGERS
    for name in names:
        logging.getLogger(name).warning("redis at redis://:%s@cache:6379", "s3cr3t-pass")
    logging.getLogger("arq.worker").info("%d jobs", "not a number")  # formatting fails
    lines = arq_output.getvalue().splitlines()
    assert lines[: len(names)] == ["redis at redis://[Filtered]@cache:6379"] * len(names)
    assert lines[-1] == "log record withheld: it could not be scrubbed"


def test_celery_s_task_lines_with_mapping_arguments_are_scrubbed(arq_output: io.StringIO) -> None:
    # celery.app.trace logs with a dict of arguments (LOG_SUCCESS, LOG_FAILURE).
    logging.getLogger("celery.app.trace").info(
        "Task %(name)s[%(id)s] succeeded in %(runtime)ss: %(return_value)s",
        {"name": "t", "id": "1", "runtime": 0.1, "return_value": repr({"token": TOKEN})},
    )
    line = arq_output.getvalue()
    assert line.startswith("Task t[1] succeeded in 0.1s: {'token': ")
    assert "[Filtered]" in line and TOKEN not in line


def test_installing_twice_adds_one_filter_and_takes_the_new_scrubber() -> None:
    custom = Scrubber(secret_keys={"ssn"})
    scrub_loggers(ARQ_LOGGERS, custom)
    scrub_loggers(ARQ_LOGGERS, custom)
    for name in ARQ_LOGGERS:
        (scrubbing,) = [
            f for f in logging.getLogger(name).filters if isinstance(f, QueueLogScrubber)
        ]
        assert scrubbing.scrubber is custom
    scrub_loggers(ARQ_LOGGERS)
    assert all(
        f.scrubber is None
        for name in ARQ_LOGGERS
        for f in logging.getLogger(name).filters
        if isinstance(f, QueueLogScrubber)
    )


def test_a_known_line_with_unexpected_arguments_is_scrubbed_whole(
    arq_output: io.StringIO,
) -> None:
    # arq's job line format, but given one argument too few: formatting it whole fails, so
    # the record is withheld rather than written unscrubbed.
    logging.getLogger("arq.worker").info("%6.2fs → %s(%s)%s", 0.0, f"id:f token={TOKEN}", "x")
    # The same format with a mapping: its data slot names no key, so the whole line is
    # formatted and scrubbed.
    logging.getLogger("arq.worker").info("%6.2fs ← %s ● %s", {"token": TOKEN})
    lines = arq_output.getvalue().splitlines()
    assert lines[0] == "log record withheld: it could not be scrubbed"
    assert TOKEN not in arq_output.getvalue() and len(lines) == 2
