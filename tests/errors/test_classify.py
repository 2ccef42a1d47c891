from __future__ import annotations

import psycopg
import pytest

from signalpost.errors.classify import (
    ConfigurationError,
    DataError,
    ErrorClass,
    ErrorClassifier,
    TransientError,
)


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (TimeoutError(), ErrorClass.TRANSIENT),
        (ConnectionResetError(), ErrorClass.TRANSIENT),
        (TransientError("x"), ErrorClass.TRANSIENT),
        (psycopg.OperationalError("gone"), ErrorClass.TRANSIENT),
        (psycopg.errors.UniqueViolation(), ErrorClass.DATA),
        (psycopg.errors.UndefinedTable(), ErrorClass.CONFIGURATION),
        (ValueError("bad"), ErrorClass.DATA),
        (KeyError("k"), ErrorClass.DATA),
        (DataError(), ErrorClass.DATA),
        (ModuleNotFoundError("x"), ErrorClass.CONFIGURATION),
        (ConfigurationError(), ErrorClass.CONFIGURATION),
        (PermissionError(), ErrorClass.CONFIGURATION),
        (RuntimeError(), ErrorClass.SYSTEM),
        (MemoryError(), ErrorClass.SYSTEM),
        (ZeroDivisionError(), ErrorClass.SYSTEM),
    ],
)
def test_default_classes(exc: BaseException, expected: ErrorClass) -> None:
    assert ErrorClassifier().classify(exc) is expected


def test_register_type_and_name_and_subclass() -> None:
    classifier = ErrorClassifier()

    class RateLimited(Exception):
        pass

    class SlowDown(RateLimited):
        pass

    assert classifier.classify(SlowDown()) is ErrorClass.SYSTEM
    classifier.register(RateLimited, ErrorClass.TRANSIENT)
    assert classifier.classify(SlowDown()) is ErrorClass.TRANSIENT
    classifier.register(f"{__name__}.{SlowDown.__qualname__}", ErrorClass.DATA)
    # the most derived class decides
    assert classifier.classify(SlowDown()) is ErrorClass.DATA


def test_rules_and_declared_class_win() -> None:
    classifier = ErrorClassifier()

    def by_status(exc: BaseException) -> ErrorClass | None:
        return ErrorClass.TRANSIENT if getattr(exc, "status", None) == 503 else None

    def broken(exc: BaseException) -> ErrorClass | None:
        raise RuntimeError("rule bug")

    classifier.add_rule(by_status)
    classifier.add_rule(broken)
    err = RuntimeError()
    err.status = 503  # type: ignore[attr-defined]
    assert classifier.classify(err) is ErrorClass.TRANSIENT
    assert classifier.classify(RuntimeError()) is ErrorClass.SYSTEM
    declared = ValueError()
    declared.error_class = "transient"  # type: ignore[attr-defined]
    assert classifier.classify(declared) is ErrorClass.TRANSIENT


def test_without_defaults_everything_is_system() -> None:
    assert ErrorClassifier(defaults=False).classify(TimeoutError()) is ErrorClass.SYSTEM
