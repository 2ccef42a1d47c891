"""The ``exporters`` knob: node_exporter and postgres_exporter targets and their alerts' knobs.

Each service lists the exporters that watch its host and its database; prometheus.yml scrapes
them as jobs ``node`` and ``postgres`` with the service's label, so their alerts name the
service they belong to.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from prometheus.exporter_metrics import NODE_JOB, POSTGRES_JOB
from prometheus.targets import ServiceName, Target

__all__ = ["EXPORTER_JOBS", "ExporterKnobs", "ExporterTargets", "check_exporters"]

EXPORTER_JOBS: tuple[str, ...] = (NODE_JOB, POSTGRES_JOB)
"""The scrape jobs of the exporters, in prometheus.yml order."""

_Duration = Annotated[str, Field(pattern=r"^(?:(\d+)(ms|s|m|h|d|w|y))+$")]
_Ratio = Annotated[float, Field(gt=0, lt=1)]


def _fail(path: tuple[str | int, ...], why: str) -> PydanticCustomError:
    key = ".".join(str(p) for p in path)
    return PydanticCustomError(
        "inconsistent_knobs", "{key}: {why}", {"key": key, "why": why, "path": path}
    )


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ExporterTargets(_Strict):
    """One service's exporters (``host:port`` each, one per host or database server)."""

    node: tuple[Target, ...] = ()
    postgres: tuple[Target, ...] = ()

    def of(self, job: str) -> tuple[str, ...]:
        """The targets of exporter job ``node`` or ``postgres``."""
        return self.node if job == NODE_JOB else self.postgres


class _For(_Strict):
    for_: _Duration = Field(default="5m", alias="for")


class FilesystemKnobs(_For):
    for_: _Duration = Field(default="30m", alias="for")
    history: _Duration = "6h"
    within: _Duration = "24h"
    """Fires when the trend over ``history`` reaches zero free space within this."""
    max_free: _Ratio = 0.4
    """Only file systems with less than this share free (a big empty disk may grow fast)."""


class InodesKnobs(_For):
    for_: _Duration = Field(default="15m", alias="for")
    min_free: _Ratio = 0.1


class MemoryPressureKnobs(_For):
    for_: _Duration = Field(default="15m", alias="for")
    min_available: _Ratio = 0.1
    """MemAvailable over MemTotal below this ..."""
    max_stall: _Ratio = 0.2
    """... or tasks waiting for memory this share of the time (PSI "some", where exposed)."""


class CpuKnobs(_For):
    for_: _Duration = Field(default="15m", alias="for")
    load_per_core: float = Field(default=2.0, gt=0)
    """5-minute load average per core (runnable and uninterruptible tasks)."""


class ConnectionsKnobs(_For):
    threshold: _Ratio = 0.8
    """Connections in use over ``max_connections``."""


class LongTransactionKnobs(_For):
    for_: _Duration = Field(default="2m", alias="for")
    max_seconds: float = Field(default=300, gt=0)


class LocksKnobs(_For):
    min_waiting: float = Field(default=1, gt=0)
    """Lock requests waiting, continuously for ``for``."""


class ReplicationKnobs(_For):
    max_seconds: float = Field(default=30, gt=0)


class DeadlocksKnobs(_Strict):
    window: _Duration = "10m"
    """Fires at once on a deadlock and stays firing while one is this recent."""


class CacheHitKnobs(_For):
    for_: _Duration = Field(default="30m", alias="for")
    window: _Duration = "30m"
    threshold: _Ratio = 0.9
    min_rate: float = Field(default=100, ge=0)
    """Block accesses per second (hits and reads) before the ratio is judged."""


class ExporterKnobs(_Strict):
    """The ``exporters`` key of the knobs file."""

    services: dict[ServiceName, ExporterTargets] = {}
    exporter_down: _For = _For()
    filesystem_will_fill: FilesystemKnobs = FilesystemKnobs()
    inodes_low: InodesKnobs = InodesKnobs()
    memory_pressure: MemoryPressureKnobs = MemoryPressureKnobs()
    cpu_saturated: CpuKnobs = CpuKnobs()
    connections_near_limit: ConnectionsKnobs = ConnectionsKnobs()
    long_transaction: LongTransactionKnobs = LongTransactionKnobs()
    locks_waiting: LocksKnobs = LocksKnobs()
    replication_lag: ReplicationKnobs = ReplicationKnobs()
    deadlocks: DeadlocksKnobs = DeadlocksKnobs()
    cache_hit_ratio_low: CacheHitKnobs = CacheHitKnobs()

    def targets(self, job: str) -> dict[str, tuple[str, ...]]:
        """Service → its targets of exporter job ``job`` (services without one left out)."""
        return {s: t.of(job) for s, t in self.services.items() if t.of(job)}

    @property
    def jobs(self) -> tuple[str, ...]:
        """The exporter jobs with at least one target."""
        return tuple(job for job in EXPORTER_JOBS if self.targets(job))


def check_exporters(
    exporters: ExporterKnobs,
    services: Mapping[str, Mapping[str, tuple[str, ...]]],
    monitoring: Mapping[str, tuple[str, ...]],
) -> None:
    """Refuse exporter job names used elsewhere and targets scraped twice.

    An exporter's service may be one of ``services`` or a name of its own (a database server
    several services share, labelled ``database``).

    Raises:
        PydanticCustomError: The first inconsistency, with the key path in its context.
    """
    for service, jobs in services.items():
        for job in EXPORTER_JOBS:
            if job in jobs:
                raise _fail(("services", service, job), "is an exporter job: list it in exporters")
    for job in EXPORTER_JOBS:
        if job in monitoring:
            raise _fail(("monitoring_targets", job), "is an exporter job: list it in exporters")
    taken = {t for jobs in (*services.values(), monitoring) for ts in jobs.values() for t in ts}
    for service, targets in exporters.services.items():
        for job in EXPORTER_JOBS:
            for index, target in enumerate(targets.of(job)):
                if target in taken:
                    raise _fail(
                        ("exporters", "services", service, job, index),
                        f"{target} is already a target: it would be scraped twice",
                    )
                taken.add(target)
