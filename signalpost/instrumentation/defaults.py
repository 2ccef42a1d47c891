"""The collaborators every component uses unless given its own: one owner, one set-up.

:func:`signalpost.setup` creates a prometheus registry, an error classifier, a scrubber with
the configured ``errors.scrub_keys``, tracer and meter providers and a clock, and installs
them here. Every monitored job, health monitor and database instrumentation created
afterwards reads :func:`current` for each collaborator it was not given explicitly
(``registry=``, ``classifier=``, ``scrubber=``, ``tracer_provider=``, ``clock=``), so one
set-up configures everything. Without set-up the defaults are the process-wide ones:
prometheus-client's ``REGISTRY``, the shared classifier and scrubber, OpenTelemetry's global
providers and the system clock.

Tests install their own with :func:`install` and put the previous ones back with
:func:`restore` (``Telemetry.shutdown`` does the same for what set-up installed).
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

__all__ = ["BUILTIN", "Defaults", "current", "install", "restore"]


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
_current = BUILTIN


def current() -> Defaults:
    """Return the defaults in force (what set-up installed, else :data:`BUILTIN`)."""
    return _current


def install(defaults: Defaults) -> Defaults:
    """Make ``defaults`` the defaults of components created from now on.

    Returns:
        The defaults it replaced; pass them to :func:`restore` to undo the install.
    """
    global _current
    with _lock:
        previous, _current = _current, defaults
    return previous


def restore(previous: Defaults, installed: Defaults | None = None) -> None:
    """Put ``previous`` back, undoing an :func:`install`.

    Args:
        previous: What :func:`install` returned.
        installed: When given, restore only if these are still in force, so that closing an
            older set-up does not undo a newer one.
    """
    global _current
    with _lock:
        if installed is None or _current is installed:
            _current = previous
