"""One failsafe for telemetry code: it swallows what telemetry raises, logs the first failure
of each kind with its stack trace and the repeats at debug level only."""

from __future__ import annotations

import logging

import pytest

from signalpost.failsafe import failsafe, failures_seen
from signalpost.loggers import INTERNAL_LOGGER_NAME


def test_the_first_failure_of_each_kind_is_a_warning_the_repeats_debug(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger=INTERNAL_LOGGER_NAME)
    for _ in range(3):
        with failsafe("test gauge"):
            raise ValueError("broken gauge")
    with failsafe("test gauge"):
        raise KeyError("another kind")

    levels = [(r.levelno, r.exc_info[0] if r.exc_info else None) for r in caplog.records]
    assert levels == [
        (logging.WARNING, ValueError),
        (logging.DEBUG, ValueError),
        (logging.DEBUG, ValueError),
        (logging.WARNING, KeyError),
    ]
    assert caplog.records[0].getMessage() == "signalpost: test gauge failed"
    seen = failures_seen()
    assert seen[("test gauge", "ValueError")] == 3 and seen[("test gauge", "KeyError")] == 1


def test_the_block_after_a_failure_carries_on() -> None:
    done = []
    with failsafe("test step"):
        done.append(1)
        raise RuntimeError("x")
    done.append(2)
    assert done == [1, 2]


def test_cancellation_and_interrupts_go_through() -> None:
    class Interrupt(BaseException):
        pass

    with pytest.raises(Interrupt), failsafe("test interrupt"):
        raise Interrupt
