"""A crash inside the monitoring code never changes the job's own result or exception."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.trace import NoOpTracerProvider, Tracer, TracerProvider
from prometheus_client import CollectorRegistry

from signalpost.errors.capture import ErrorReporter
from signalpost.errors.classify import TransientError
from signalpost.jobs import JobState, RetryPolicy, RunningJobs, current_run
from signalpost.loggers import INTERNAL_LOGGER_NAME
from tests.fake_clock import FakeClock
from tests.jobs.conftest import JobFactory


class Boom(Exception):
    pass


class BrokenTracer(Tracer):
    def start_span(self, *args: Any, **kwargs: Any) -> Any:
        raise Boom("tracer")

    def start_as_current_span(self, *args: Any, **kwargs: Any) -> Any:
        raise Boom("tracer")


class BrokenTracerProvider(TracerProvider):
    def get_tracer(self, *args: Any, **kwargs: Any) -> Tracer:
        return BrokenTracer()


class UnusableTracerProvider(TracerProvider):
    def get_tracer(self, *args: Any, **kwargs: Any) -> Tracer:
        raise Boom("provider")


class BrokenRegistry(CollectorRegistry):
    def register(self, collector: Any) -> None:
        raise Boom("registry")


class BrokenHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        raise Boom("handler")

    def handleError(self, record: logging.LogRecord) -> None:
        raise Boom("handleError")


class BrokenJobs(RunningJobs):
    def add(self, run: Any) -> None:
        raise Boom("jobs")

    def remove(self, run: Any) -> None:
        raise Boom("jobs")


class BrokenReporter(ErrorReporter):
    def report(self, *args: Any, **kwargs: Any) -> Any:
        raise Boom("reporter")


@pytest.fixture
def broken_logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger("tests.jobs.broken")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    handler = BrokenHandler()
    logger.addHandler(handler)
    yield logger
    logger.removeHandler(handler)


BREAKAGES = ["tracer", "provider", "registry", "logger", "jobs", "reporter"]


def breakage(kind: str, broken_logger: logging.Logger) -> dict[str, Any]:
    options: dict[str, dict[str, Any]] = {
        "tracer": {"tracer_provider": BrokenTracerProvider()},
        "provider": {"tracer_provider": UnusableTracerProvider()},
        "registry": {"registry": BrokenRegistry()},
        "logger": {"logger": broken_logger, "progress_interval": 0},
        "jobs": {"running": BrokenJobs()},
        "reporter": {"reporter": BrokenReporter()},
    }
    return options[kind]


@pytest.fixture(autouse=True)
def quiet_internal(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.CRITICAL, logger=INTERNAL_LOGGER_NAME)


@pytest.mark.parametrize("kind", BREAKAGES)
def test_result_survives_broken_telemetry(
    make_job: JobFactory, broken_logger: logging.Logger, kind: str
) -> None:
    @make_job("robust", params={"x": 1}, **breakage(kind, broken_logger))
    def work(n: int) -> int:
        run = current_run()
        assert run is not None
        run.progress(0, n)
        run.add_context(step="a")
        run.progress(n, n)
        return n * 2

    assert work(21) == 42


@pytest.mark.parametrize("kind", BREAKAGES)
def test_exception_survives_broken_telemetry(
    make_job: JobFactory, broken_logger: logging.Logger, kind: str
) -> None:
    error = ValueError("the job's own error")

    @make_job("robust", **breakage(kind, broken_logger))
    def work() -> None:
        raise error

    with pytest.raises(ValueError) as info:
        work()
    assert info.value is error


@pytest.mark.parametrize("kind", BREAKAGES)
async def test_async_retries_survive_broken_telemetry(
    make_job: JobFactory, broken_logger: logging.Logger, clock: FakeClock, kind: str
) -> None:
    calls = []

    @make_job("robust", retry=RetryPolicy(max_attempts=3), **breakage(kind, broken_logger))
    async def work() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise TransientError("again")
        return "done"

    assert await work() == "done"
    assert len(calls) == 3


def test_broken_classifier_rule_does_not_break_the_run(make_job: JobFactory) -> None:
    from signalpost.errors.classify import ErrorClassifier

    classifier = ErrorClassifier()

    def bad_rule(exc: BaseException) -> None:
        raise Boom("rule")

    classifier.add_rule(bad_rule)
    with pytest.raises(KeyError):
        with make_job("rules", classifier=classifier) as run:
            raise KeyError("k")
    assert run.state is JobState.FAILED


def test_works_with_the_no_op_tracer(make_job: JobFactory) -> None:
    with make_job("noop", tracer_provider=NoOpTracerProvider()) as run:
        run.progress(1, 1)
    assert run.trace_id is None and run.span_id is None
