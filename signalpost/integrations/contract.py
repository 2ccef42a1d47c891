"""The contract every integration keeps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from signalpost.errors.scrub import Scrubber
from signalpost.jobs.monitor import MonitoredJob
from signalpost.jobs.retry import RetryPolicy
from signalpost.runtime import Runtime, deprecated_collaborators

__all__ = [
    "INSTALL_COLLABORATORS",
    "Instrumentation",
    "MonitorOptions",
    "monitor_options",
    "monitor_options_of",
]


class Instrumentation(Protocol):
    """What installing an integration returns."""

    def uninstrument(self) -> None:
        """Undo this installation only (idempotent): what other installations share with it
        stays while any of them is installed."""


INSTALL_COLLABORATORS = (
    "registry",
    "tracer_provider",
    "classifier",
    "scrubber",
    "clock",
    "running",
)
"""The collaborator keywords ``instrument`` took before ``runtime=`` (deprecated)."""


@dataclass(frozen=True)
class MonitorOptions:
    """What the jobs of one installation are monitored with.

    Attributes:
        progress_interval: Least seconds between two progress records.
        runtime: Where they record (the current one on first use when ``None``).
        overrides: Collaborators given with the deprecated keywords, overriding the runtime's
            when it is resolved.
        extra: More :class:`~signalpost.jobs.MonitoredJob` options (``logger``...).
    """

    progress_interval: float = 30.0
    runtime: Runtime | None = None
    overrides: Mapping[str, Any] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def scrubber(self) -> Scrubber | None:
        """The scrubber given, if any: the runtime's is resolved on first use otherwise."""
        given = self.overrides.get("scrubber")
        if given is not None:
            return cast(Scrubber, given)
        return self.runtime.scrubber if self.runtime is not None else None

    def job(self, job_type: str, retry: RetryPolicy | None) -> MonitoredJob:
        """The monitored job of ``job_type`` in this installation."""
        options = {"progress_interval": self.progress_interval, "runtime": self.runtime}
        job = MonitoredJob(job_type, retry=retry, **{**options, **self.extra})
        return job.with_overrides(self.overrides)


def monitor_options(
    owner: str,
    progress_interval: float,
    runtime: Runtime | None,
    deprecated: Mapping[str, Any],
) -> MonitorOptions:
    """The options of one installation by ``owner``; deprecated keywords warn."""
    overrides = deprecated_collaborators(owner, deprecated, INSTALL_COLLABORATORS, depth=2)
    return MonitorOptions(progress_interval, runtime, overrides)


def monitor_options_of(
    owner: str, options: Mapping[str, Any], deprecated: Mapping[str, Any]
) -> MonitorOptions:
    """The options of one installation by ``owner`` given as :class:`MonitoredJob` keywords
    (``options``) and deprecated collaborator keywords (which warn)."""
    overrides = deprecated_collaborators(owner, deprecated, INSTALL_COLLABORATORS, depth=2)
    extra = dict(options)
    runtime = extra.pop("runtime", None)
    return MonitorOptions(extra.pop("progress_interval", 30.0), runtime, overrides, extra)
