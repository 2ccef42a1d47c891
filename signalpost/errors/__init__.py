"""Errors and scrubbing: the error classes and their classifier
(:mod:`~signalpost.errors.classify`; the process-wide one is :data:`default_classifier`), one
record per unhandled error
(:mod:`~signalpost.errors.capture`), what an exception is called
(:mod:`~signalpost.errors.naming`), exceptions on spans (:mod:`~signalpost.errors.spans`)
and the scrubber that removes secrets from everything that leaves the process
(:mod:`~signalpost.errors.scrub` and its ``scrub_*`` parts)."""

from __future__ import annotations

from signalpost.errors.classify import (
    ConfigurationError,
    DataError,
    ErrorClass,
    ErrorClassifier,
    SystemFault,
    TransientError,
    default_classifier,
)
from signalpost.errors.scrub import Scrubber

__all__ = [
    "ConfigurationError",
    "DataError",
    "ErrorClass",
    "ErrorClassifier",
    "Scrubber",
    "SystemFault",
    "TransientError",
    "default_classifier",
]
