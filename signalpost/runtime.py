"""The one owner of what set-up creates: :class:`Runtime`.

A runtime holds the prometheus registry, the error classifier, the scrubber, the clock, the
tracer and meter providers, the list of running jobs and the error reporter built from them.
:func:`signalpost.setup` builds one and installs it; :meth:`Telemetry.shutdown` withdraws it.
Code that never calls set-up gets a process-wide default, created on first use:
prometheus-client's ``REGISTRY``, the shared classifier and scrubber, the system clock,
OpenTelemetry's global providers and the process's running-jobs list.

When a component resolves it: every component (a monitored job, a health monitor, the
middleware, the endpoints, the integrations) reads :func:`current` once, when it is first used
(a job's first run, a monitor's start or first report, an endpoint's first request), never
when it is constructed, and keeps it. So a component created before set-up still uses what
set-up created, in whatever order the two are written. A component given a runtime of its own
(``runtime=``) uses that one.

Components take the runtime as one argument, ``runtime: Runtime | None = None``. The separate
collaborator keywords they took before (``registry=``, ``tracer_provider=``, ``clock=`` ...:
:class:`Collaborators`) still work for one release: they warn (:func:`deprecated_collaborators`)
and override the resolved runtime's (:meth:`Runtime.with_overrides`) at the same moment.

Lifecycle, in five lines:
  1. Nothing exists at import; :func:`current` creates the process-wide default on first call.
  2. ``setup()`` builds a :class:`Runtime` from the configuration and :func:`install`\\ s it.
  3. Components resolve :func:`current` on first use and keep what they got.
  4. ``Telemetry.shutdown()`` calls the undo :func:`install` returned: the previous one applies.
  5. Tests call :func:`reset` to start again from the process-wide default.
"""

from __future__ import annotations

import dataclasses
import threading
import warnings
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Generic, TypedDict, TypeVar

from opentelemetry.metrics import MeterProvider
from opentelemetry.trace import TracerProvider
from prometheus_client import REGISTRY, CollectorRegistry

from signalpost.clock import Clock, system_clock
from signalpost.errors.capture import ErrorReporter
from signalpost.errors.classify import ErrorClassifier, default_classifier
from signalpost.errors.scrub import Scrubber, default_scrubber
from signalpost.jobs.running import RunningJobs, default_running_jobs

__all__ = [
    "Collaborators",
    "OnFirstUse",
    "Runtime",
    "current",
    "deprecated_collaborators",
    "install",
    "installed",
    "reset",
]


@dataclass(frozen=True, eq=False)
class Runtime:
    """The shared collaborators of every component, owned in one place.

    Attributes:
        registry: Where metrics are recorded.
        classifier: Decides the class of an error (retries, labels, records).
        scrubber: Removes secrets from parameters, context and error records.
        clock: Where durations, timestamps and waits are read.
        tracer_provider: Where spans go; ``None`` means OpenTelemetry's global provider.
        meter_provider: Where OpenTelemetry metrics go; ``None`` means the global one.
        running: The runs in progress that the running-jobs endpoints list.
        max_exception_types: Distinct ``exception_type`` label values the error counter keeps.
    """

    registry: CollectorRegistry = REGISTRY
    classifier: ErrorClassifier = default_classifier
    scrubber: Scrubber = default_scrubber
    clock: Clock = system_clock
    tracer_provider: TracerProvider | None = None
    meter_provider: MeterProvider | None = None
    running: RunningJobs = default_running_jobs
    max_exception_types: int = 200

    @cached_property
    def reporter(self) -> ErrorReporter:
        """The error reporter built from this runtime's registry, classifier, scrubber, clock."""
        return ErrorReporter(
            registry=self.registry,
            classifier=self.classifier,
            scrubber=self.scrubber,
            clock=self.clock,
            max_exception_types=self.max_exception_types,
        )

    def with_overrides(self, **given: Any) -> Runtime:
        """This runtime with the collaborators in ``given`` that are not ``None`` replaced.

        For components that accept a collaborator of their own beside the runtime.
        """
        changes = {name: value for name, value in given.items() if value is not None}
        return dataclasses.replace(self, **changes) if changes else self


_lock = threading.Lock()
_installed: list[Runtime] = []  # newest last
_default: Runtime | None = None


def current() -> Runtime:
    """Return the runtime in force: the newest installed, else the process-wide default."""
    global _default
    installed = _installed
    if installed:
        return installed[-1]
    if _default is None:
        with _lock:
            if _default is None:
                _default = Runtime()
    return _default


def installed() -> Runtime | None:
    """Return the newest installed runtime, or ``None`` while set-up has not run."""
    found = _installed
    return found[-1] if found else None


def install(runtime: Runtime) -> Callable[[], None]:
    """Make ``runtime`` the one components resolve from now on; return its undo.

    The undo withdraws it (idempotent); withdrawing an older install while a newer one is in
    force leaves the newer in force.
    """
    with _lock:
        _installed.append(runtime)

    def uninstall() -> None:
        with _lock:
            for index in range(len(_installed) - 1, -1, -1):
                if _installed[index] is runtime:
                    del _installed[index]
                    return

    return uninstall


def reset() -> None:
    """Withdraw every installed runtime and forget the default (for tests)."""
    global _default
    with _lock:
        _installed.clear()
        _default = None


T = TypeVar("T")


class OnFirstUse(Generic[T]):
    """What a component builds from its runtime, built once at its first use (see "When a
    component resolves it" above): from ``runtime``, else :func:`current` at that moment,
    with the deprecated collaborators ``given`` overriding its parts. Two threads asking
    together get the same value.

    Args:
        runtime: The component's own runtime, if it was given one.
        given: Deprecated collaborator keywords the component was given.
        build: Makes the value from the resolved runtime.
    """

    __slots__ = ("_build", "_given", "_lock", "_runtime", "_value")

    def __init__(
        self, runtime: Runtime | None, given: Mapping[str, Any], build: Callable[[Runtime], T]
    ) -> None:
        self._runtime = runtime
        self._given = given
        self._build = build
        self._lock = threading.Lock()
        self._value: T | None = None

    def get(self) -> T:
        """The value, built on the first call."""
        value = self._value
        if value is None:
            with self._lock:
                value = self._value
                if value is None:
                    shared = self._runtime if self._runtime is not None else current()
                    value = self._value = self._build(shared.with_overrides(**self._given))
        return value


class Collaborators(TypedDict, total=False):
    """The collaborator keywords components took before ``runtime=`` (deprecated: pass a
    :class:`Runtime`, or ``current().with_overrides(...)``). Each overrides the runtime's."""

    registry: CollectorRegistry | None
    classifier: ErrorClassifier | None
    scrubber: Scrubber | None
    clock: Clock | None
    tracer_provider: TracerProvider | None
    meter_provider: MeterProvider | None
    running: RunningJobs | None


_RUNTIME_INSTEAD = (
    "runtime=Runtime(...) (or signalpost.runtime.current().with_overrides(...))"
)


def deprecated_collaborators(
    owner: str,
    given: Mapping[str, Any],
    accepted: Collection[str],
    *,
    depth: int = 1,
    instead: str | Mapping[str, str] = _RUNTIME_INSTEAD,
) -> dict[str, Any]:
    """Check the deprecated keywords ``owner`` was called with and warn once that they are
    deprecated, naming what to pass ``instead`` (by default ``runtime=``); return those that
    are not ``None``.

    The one mechanism for every deprecated keyword: the collaborators replaced by
    ``runtime=`` and the options grouped into a settings object (``setup(options=...)``,
    a check's ``settings=``, a job's ``options=``).

    ``instead``: what replaces the keywords, or per keyword (``runtime=`` for one missing).
    ``depth``: how many of our frames lie between ``owner`` and this call (the warning names
    the line that called ``owner``).

    Raises:
        TypeError: A keyword ``owner`` never accepted (as a call with a wrong keyword would).
    """
    unexpected = sorted(set(given) - set(accepted))
    if unexpected:
        raise TypeError(f"{owner}() got an unexpected keyword argument {unexpected[0]!r}")
    if given:
        names = ", ".join(f"{name}=" for name in sorted(given))
        replacement = (
            instead
            if isinstance(instead, str)
            else " and ".join(
                dict.fromkeys(instead.get(name, _RUNTIME_INSTEAD) for name in sorted(given))
            )
        )
        warnings.warn(
            f"{owner}({names}) is deprecated: pass {replacement} instead",
            DeprecationWarning,
            stacklevel=2 + depth,
        )
    return {name: value for name, value in given.items() if value is not None}
