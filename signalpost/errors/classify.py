"""One classifier for every captured error: transient, configuration, data or system.

HTTP error capture, background jobs (whose retry policy retries transient errors only) and
database instrumentation all ask the same :class:`ErrorClassifier`, so an exception is one
class everywhere. Users extend it by registering exception types or rules, or by raising the
marker exceptions below.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from enum import StrEnum

__all__ = [
    "ConfigurationError",
    "DataError",
    "ErrorClass",
    "ErrorClassifier",
    "SystemFault",
    "TransientError",
    "default_classifier",
]


class ErrorClass(StrEnum):
    """Why an operation failed, which decides whether retrying can help."""

    TRANSIENT = "transient"
    """A passing fault (timeout, lost connection, overload): retrying may succeed."""
    CONFIGURATION = "configuration"
    """Wrong settings, missing credentials or schema: fails until someone changes config."""
    DATA = "data"
    """The input is invalid (parse error, constraint violation): fails the same every time."""
    SYSTEM = "system"
    """A bug or a resource exhausted; the default for anything unrecognised."""


class TransientError(Exception):
    """Raise (or subclass) to mark a failure as transient: retry policies will retry it."""


class ConfigurationError(Exception):
    """Raise (or subclass) to mark a failure as caused by configuration."""


class DataError(Exception):
    """Raise (or subclass) to mark a failure as caused by bad input data."""


class SystemFault(Exception):
    """Raise (or subclass) to mark a failure as a system fault."""


Rule = Callable[[BaseException], ErrorClass | None]

# Matched by fully qualified name along the MRO so that optional libraries need not be imported.
_BY_QUALNAME: dict[str, ErrorClass] = {
    # psycopg 3 (DB-API hierarchy)
    "psycopg.OperationalError": ErrorClass.TRANSIENT,
    "psycopg.errors.OperationalError": ErrorClass.TRANSIENT,
    "psycopg.InterfaceError": ErrorClass.TRANSIENT,
    "psycopg.errors.InterfaceError": ErrorClass.TRANSIENT,
    "psycopg_pool.PoolTimeout": ErrorClass.TRANSIENT,
    "psycopg.errors.SerializationFailure": ErrorClass.TRANSIENT,
    "psycopg.errors.DeadlockDetected": ErrorClass.TRANSIENT,
    "psycopg.errors.QueryCanceled": ErrorClass.TRANSIENT,
    "psycopg.errors.LockNotAvailable": ErrorClass.TRANSIENT,
    "psycopg.errors.InsufficientPrivilege": ErrorClass.CONFIGURATION,
    "psycopg.errors.InvalidPassword": ErrorClass.CONFIGURATION,
    "psycopg.errors.InvalidAuthorizationSpecification": ErrorClass.CONFIGURATION,
    "psycopg.errors.UndefinedTable": ErrorClass.CONFIGURATION,
    "psycopg.errors.UndefinedColumn": ErrorClass.CONFIGURATION,
    "psycopg.errors.UndefinedFunction": ErrorClass.CONFIGURATION,
    "psycopg.ProgrammingError": ErrorClass.CONFIGURATION,
    "psycopg.errors.ProgrammingError": ErrorClass.CONFIGURATION,
    "psycopg.IntegrityError": ErrorClass.DATA,
    "psycopg.errors.IntegrityError": ErrorClass.DATA,
    "psycopg.DataError": ErrorClass.DATA,
    "psycopg.errors.DataError": ErrorClass.DATA,
    # HTTP clients
    "httpx.TimeoutException": ErrorClass.TRANSIENT,
    "httpx.NetworkError": ErrorClass.TRANSIENT,
    "httpx.RemoteProtocolError": ErrorClass.TRANSIENT,
    "requests.exceptions.Timeout": ErrorClass.TRANSIENT,
    "requests.exceptions.ConnectionError": ErrorClass.TRANSIENT,
    "pydantic_core._pydantic_core.ValidationError": ErrorClass.DATA,
    "yaml.error.YAMLError": ErrorClass.DATA,
}

_BY_TYPE: dict[type[BaseException], ErrorClass] = {
    TransientError: ErrorClass.TRANSIENT,
    ConfigurationError: ErrorClass.CONFIGURATION,
    DataError: ErrorClass.DATA,
    SystemFault: ErrorClass.SYSTEM,
    TimeoutError: ErrorClass.TRANSIENT,
    ConnectionError: ErrorClass.TRANSIENT,
    socket.gaierror: ErrorClass.TRANSIENT,
    BlockingIOError: ErrorClass.TRANSIENT,
    InterruptedError: ErrorClass.TRANSIENT,
    PermissionError: ErrorClass.CONFIGURATION,
    FileNotFoundError: ErrorClass.CONFIGURATION,
    NotADirectoryError: ErrorClass.CONFIGURATION,
    IsADirectoryError: ErrorClass.CONFIGURATION,
    ImportError: ErrorClass.CONFIGURATION,
    ValueError: ErrorClass.DATA,
    UnicodeError: ErrorClass.DATA,
    LookupError: ErrorClass.DATA,
    MemoryError: ErrorClass.SYSTEM,
    RecursionError: ErrorClass.SYSTEM,
}


class ErrorClassifier:
    """Maps an exception to an :class:`ErrorClass`.

    Resolution order: an ``error_class`` attribute on the exception instance (an
    :class:`ErrorClass` or its string value); then rules, newest first; then registered types
    along the exception's MRO (most derived first, including well-known library exceptions by
    qualified name); then :attr:`ErrorClass.SYSTEM`. Results by type are cached, so a
    classification costs one dict lookup once a type has been seen.

    Example:
        >>> classifier = ErrorClassifier()
        >>> class RateLimited(Exception): ...
        >>> classifier.register(RateLimited, ErrorClass.TRANSIENT)
        >>> classifier.classify(RateLimited())
        <ErrorClass.TRANSIENT: 'transient'>
    """

    def __init__(self, *, defaults: bool = True) -> None:
        self._types: dict[type[BaseException], ErrorClass] = dict(_BY_TYPE) if defaults else {}
        self._names: dict[str, ErrorClass] = dict(_BY_QUALNAME) if defaults else {}
        self._rules: list[Rule] = []
        self._cache: dict[type[BaseException], ErrorClass] = {}
        self._lock = threading.Lock()

    def register(self, exc_type: type[BaseException] | str, error_class: ErrorClass) -> None:
        """Classify ``exc_type`` and its subclasses as ``error_class``.

        ``exc_type`` may be a fully qualified name (``"botocore.exceptions.ClientError"``) so
        that a library need not be imported to classify its errors.
        """
        error_class = ErrorClass(error_class)
        with self._lock:
            if isinstance(exc_type, str):
                self._names[exc_type] = error_class
            else:
                self._types[exc_type] = error_class
            self._cache.clear()

    def add_rule(self, rule: Rule) -> None:
        """Add a function consulted before the type table; it returns a class or ``None``.

        A rule sees the exception instance, so it can look at status codes or messages. Rules
        are not cached; keep them cheap. A rule that raises is ignored.
        """
        with self._lock:
            self._rules.insert(0, rule)

    def classify(self, exc: BaseException) -> ErrorClass:
        """Return the error class of ``exc``. Never raises."""
        declared = getattr(exc, "error_class", None)
        if declared is not None:
            try:
                return ErrorClass(declared)
            except ValueError:
                pass
        for rule in self._rules:
            try:
                found = rule(exc)
            except Exception:  # a user rule must never break error capture
                continue
            if found is not None:
                return ErrorClass(found)
        exc_type = type(exc)
        cached = self._cache.get(exc_type)
        if cached is not None:
            return cached
        result = self._classify_type(exc_type)
        self._cache[exc_type] = result
        return result

    def _classify_type(self, exc_type: type[BaseException]) -> ErrorClass:
        for klass in exc_type.__mro__:
            found = self._types.get(klass)
            if found is not None:
                return found
            found = self._names.get(f"{klass.__module__}.{klass.__qualname__}")
            if found is not None:
                return found
        return ErrorClass.SYSTEM


default_classifier = ErrorClassifier()
"""The process-wide classifier used when none is passed explicitly."""
