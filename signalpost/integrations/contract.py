"""The contract every integration keeps."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from signalpost.errors.scrub import Scrubber
from signalpost.jobs.monitor import MonitoredJob
from signalpost.jobs.options import OPTION_NAMES, JobOptions
from signalpost.jobs.retry import RetryPolicy
from signalpost.runtime import Runtime, deprecated_collaborators

__all__ = [
    "INSTALL_COLLABORATORS",
    "Instrumentation",
    "MonitorOptions",
    "ProgressSettings",
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
class ProgressSettings:
    """How often the running tasks of an installation report their progress.

    Attributes:
        interval: Least seconds between two progress log records / span events of a run
            (:class:`~signalpost.jobs.JobOptions`' ``progress_interval``).
        publish_interval: Seconds between two publications of the runs in progress to where
            ``running_jobs`` reads them across workers (Celery's result backend, arq's
            Redis); ``None`` publishes nothing.
    """

    interval: float = 30.0
    publish_interval: float | None = 1.0


_PROGRESS_KEYWORDS = {"progress_interval": "interval", "publish_interval": "publish_interval"}
_INSTEAD = {
    **dict.fromkeys(INSTALL_COLLABORATORS, "runtime=Runtime(...)"),
    **dict.fromkeys(_PROGRESS_KEYWORDS, "progress=ProgressSettings(...)"),
}


def _progress(
    owner: str, progress: ProgressSettings | None, deprecated: Mapping[str, Any]
) -> tuple[ProgressSettings, dict[str, Any]]:
    """Fold the deprecated progress keywords into ``progress`` (``None`` is a value here: no
    publishing), warning once with the deprecated collaborators; return those too."""
    changes = {new: deprecated[old] for old, new in _PROGRESS_KEYWORDS.items() if old in deprecated}
    overrides = deprecated_collaborators(owner, deprecated, _INSTEAD, depth=3, instead=_INSTEAD)
    for old in _PROGRESS_KEYWORDS:
        overrides.pop(old, None)
    return dataclasses.replace(progress or ProgressSettings(), **changes), overrides


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
        extra = dict(self.extra)
        chosen = {name: extra.pop(name) for name in OPTION_NAMES if name in extra}
        options = JobOptions(**{"progress_interval": self.progress_interval, **chosen})
        job = MonitoredJob(job_type, retry=retry, options=options, runtime=self.runtime, **extra)
        return job.with_overrides(self.overrides)


def monitor_options(
    owner: str,
    progress: ProgressSettings | None,
    runtime: Runtime | None,
    deprecated: Mapping[str, Any],
) -> tuple[MonitorOptions, ProgressSettings]:
    """The options of one installation by ``owner`` and how its runs report progress;
    deprecated keywords warn (once)."""
    settings, overrides = _progress(owner, progress, deprecated)
    return MonitorOptions(settings.interval, runtime, overrides), settings


def monitor_options_of(
    owner: str, progress: ProgressSettings | None, options: Mapping[str, Any]
) -> tuple[MonitorOptions, ProgressSettings]:
    """The options of one installation by ``owner`` given as :class:`MonitoredJob` keywords
    (``options``: ``runtime``, ``logger``...) beside deprecated keywords (which warn once)."""
    extra = dict(options)
    deprecated = {name: extra.pop(name) for name in list(extra) if name in _INSTEAD}
    settings, overrides = _progress(owner, progress, deprecated)
    runtime = extra.pop("runtime", None)
    return MonitorOptions(settings.interval, runtime, overrides, extra), settings
