"""The error counter shared by HTTP requests and background jobs."""

from __future__ import annotations

from signalpost.semconv import attributes as attr
from signalpost.semconv._spec import MetricSpec

__all__ = ["ERRORS", "SOURCE_HTTP", "SOURCE_JOB"]

SOURCE_HTTP = "http"
SOURCE_JOB = "job"

ERRORS = MetricSpec(
    name="signalpost_errors",
    kind="counter",
    unit="",
    help="Unhandled errors captured, by where they arose, error class and exception type.",
    attributes=(attr.ERROR_SOURCE, attr.ERROR_CLASS, attr.EXCEPTION_TYPE),
    otel_name="signalpost.errors",
    otel_unit="{error}",
)
