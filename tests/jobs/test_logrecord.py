"""A run's log record is the one ``Logger.makeRecord`` builds, field for field."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from signalpost.jobs.logrecord import SOURCE, job_record

_PER_CALL = ("created", "msecs", "relativeCreated")
EXTRA = {"job.id": "j-1", "job.type": "work", "job.attempt": 1, "job.event": "started"}


def stdlib_record(logger: logging.Logger, level: int, message: str, extra: Any) -> Any:
    return logger.makeRecord(logger.name, level, SOURCE, 0, message, (), None, "job", extra)


def assert_same_fields(ours: logging.LogRecord, theirs: logging.LogRecord) -> None:
    assert type(ours) is type(theirs)
    assert list(vars(ours)) == list(vars(theirs))  # same fields, in the same order
    for key, value in vars(theirs).items():
        if key not in _PER_CALL:
            assert vars(ours)[key] == value, key
    # The clock fields are consistent with each other, as LogRecord computes them.
    assert ours.msecs == int((ours.created - int(ours.created)) * 1000) + 0.0
    assert ours.created >= theirs.created - 1.0
    delta = (ours.created - theirs.created) * 1000
    assert abs((ours.relativeCreated - theirs.relativeCreated) - delta) < 1e-3


@pytest.fixture
def logger() -> logging.Logger:
    return logging.getLogger("signalpost.jobs.test_logrecord")


@pytest.mark.parametrize("level", [logging.INFO, logging.WARNING])
def test_same_record_as_make_record(logger: logging.Logger, level: int) -> None:
    theirs = stdlib_record(logger, level, "job started", EXTRA)
    for _ in range(2):  # the first call builds the template, the second reads it
        ours = job_record(logger, level, "job started", EXTRA)
        assert_same_fields(ours, theirs)
        assert ours.getMessage() == "job started"
        assert ours.__dict__ is not theirs.__dict__


def test_records_do_not_share_their_fields(logger: logging.Logger) -> None:
    first = job_record(logger, logging.INFO, "job started", EXTRA)
    second = job_record(logger, logging.INFO, "job started", {"job.id": "j-2"})
    assert vars(first)["job.id"] == "j-1"
    assert vars(second)["job.id"] == "j-2"
    assert "job.type" not in vars(second)


def test_thread_fields_are_the_callers(logger: logging.Logger) -> None:
    out: list[tuple[logging.LogRecord, logging.LogRecord]] = []

    def log_in_thread() -> None:
        out.append(
            (
                job_record(logger, logging.INFO, "job started", EXTRA),
                stdlib_record(logger, logging.INFO, "job started", EXTRA),
            )
        )

    job_record(logger, logging.INFO, "job started", EXTRA)  # the template, from this thread
    thread = threading.Thread(target=log_in_thread, name="worker-7")
    thread.start()
    thread.join()
    ours, theirs = out[0]
    assert ours.threadName == "worker-7"
    assert ours.thread == thread.ident
    assert_same_fields(ours, theirs)


@pytest.mark.parametrize("key", ["message", "asctime", "levelname", "msg"])
def test_overwriting_a_field_raises_as_make_record_does(logger: logging.Logger, key: str) -> None:
    with pytest.raises(KeyError) as theirs:
        stdlib_record(logger, logging.INFO, "job started", {key: 1})
    with pytest.raises(KeyError) as ours:
        job_record(logger, logging.INFO, "job started", {key: 1})
    assert str(ours.value) == str(theirs.value)


class TaggedRecord(logging.LogRecord):
    pass


@pytest.fixture
def custom_factory() -> Iterator[None]:
    before = logging.getLogRecordFactory()
    logging.setLogRecordFactory(TaggedRecord)
    try:
        yield
    finally:
        logging.setLogRecordFactory(before)


@pytest.mark.usefixtures("custom_factory")
def test_a_custom_record_factory_is_used(logger: logging.Logger) -> None:
    record = job_record(logger, logging.INFO, "job started", EXTRA)
    assert type(record) is TaggedRecord
    assert vars(record)["job.id"] == "j-1"


class RecordingLogger(logging.Logger):
    def makeRecord(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = super().makeRecord(*args, **kwargs)
        record.made_here = True
        return record


def test_a_logger_with_its_own_make_record_is_used() -> None:
    logger = RecordingLogger("signalpost.jobs.recording")
    record = job_record(logger, logging.INFO, "job started", EXTRA)
    assert vars(record)["made_here"] is True
