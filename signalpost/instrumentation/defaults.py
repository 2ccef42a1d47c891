"""The collaborators every component uses unless given its own: one owner, one set-up.

:func:`signalpost.setup` creates a prometheus registry, an error classifier, a scrubber with
the configured ``errors.scrub_keys``, tracer and meter providers and a clock, and installs
them here. Every monitored job, health monitor and database instrumentation created
afterwards reads :func:`current` for each collaborator it was not given explicitly
(``registry=``, ``classifier=``, ``scrubber=``, ``tracer_provider=``, ``clock=``), so one
set-up configures everything. Without set-up the defaults are the process-wide ones:
prometheus-client's ``REGISTRY``, the shared classifier and scrubber, OpenTelemetry's global
providers and the system clock.

Set-up installs its defaults with :func:`install` and ``Telemetry.shutdown`` withdraws them
with :func:`uninstall`; tests do the same with their own, or :func:`reset`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from opentelemetry.metrics import MeterProvider
from opentelemetry.trace import TracerProvider
from prometheus_client import REGISTRY, CollectorRegistry

from signalpost.instrumentation.classify import ErrorClassifier, default_classifier
from signalpost.instrumentation.clock import Clock, system_clock
from signalpost.instrumentation.scrub import Scrubber, default_scrubber

__all__ = ["BUILTIN", "Defaults", "current", "install", "reset", "uninstall"]


@dataclass(frozen=True, slots=True, eq=False)
class Defaults:
    """The shared collaborators; each component takes the ones it was not given.

    Attributes:
        registry: Where metrics are recorded.
        classifier: Decides the class of an error (retries, labels, records).
        scrubber: Removes secrets from parameters, context and error records.
        tracer_provider: Where spans go; ``None`` means OpenTelemetry's global provider,
            looked up when a component is created.
        meter_provider: Where OpenTelemetry metrics go; ``None`` means the global one.
        clock: Where durations, timestamps and waits are read.
    """

    registry: CollectorRegistry = REGISTRY
    classifier: ErrorClassifier = default_classifier
    scrubber: Scrubber = default_scrubber
    tracer_provider: TracerProvider | None = None
    meter_provider: MeterProvider | None = None
    clock: Clock = system_clock


BUILTIN = Defaults()
"""The defaults before any set-up: the process-wide registry, classifier, scrubber, clock."""

_lock = threading.Lock()
_installed: list[Defaults] = []  # newest last


def current() -> Defaults:
    """Return the defaults in force: the newest installed, else :data:`BUILTIN`."""
    installed = _installed
    return installed[-1] if installed else BUILTIN


def install(defaults: Defaults) -> None:
    """Make ``defaults`` the defaults of components created from now on (until
    :func:`uninstall`)."""
    with _lock:
        _installed.append(defaults)


def uninstall(defaults: Defaults) -> None:
    """Withdraw ``defaults``; the newest still installed (or :data:`BUILTIN`) apply again.

    Withdrawing an older install (an earlier set-up shut down while a newer one runs) leaves
    the newer in force.
    """
    with _lock:
        for index in range(len(_installed) - 1, -1, -1):
            if _installed[index] is defaults:
                del _installed[index]
                return


def reset() -> None:
    """Withdraw every install (for tests: start from :data:`BUILTIN`)."""
    with _lock:
        _installed.clear()
