"""Alerts on what node_exporter and postgres_exporter expose (knobs: ``exporters``).

Every one is a cause, so every one warns (the paging policy, docs/alerting.md): the symptoms
they explain (errors, latency, a service down) page on their own. Each group exists only when
the knobs list a target of its exporter.
"""

from __future__ import annotations

from typing import Any

from prometheus import exporter_metrics as x
from prometheus import selfmetrics as m
from prometheus.alerting import Dashboard, ServiceAlerts
from prometheus.catalog import Alert
from prometheus.exporter_knobs import ExporterKnobs
from prometheus.knobs import Knobs, seconds
from prometheus.promql import by, eq, match, matcher_regex, num, selector

__all__ = ["exporter_groups", "exporters_up"]

Rule = dict[str, Any]


def exporters_up(k: Knobs) -> str:
    """``up`` of the exporter targets: the matcher ServiceDown and InstanceDown leave out."""
    return match("job", matcher_regex(k.exporters.jobs))


def _sel(k: Knobs, metric: str, job: str, *matchers: str) -> str:
    return selector(metric, *k.selector, eq("job", job), *matchers)


def _per_target(k: Knobs) -> tuple[str, ...]:
    # One series per scraped exporter (service_label may be ``job`` itself).
    return tuple(dict.fromkeys((k.service_label, "job", "instance")))


def _down(k: Knobs) -> list[Rule]:
    e = k.exporters.exporter_down
    up = selector(m.UP, *k.selector, exporters_up(k))
    warn = ServiceAlerts(k, Dashboard.HEALTH)
    return [
        warn(
            Alert.EXPORTER_DOWN,
            expr=f"max {by(_per_target(k))} ({up}) == 0",
            for_=e.for_,
            summary="{{ $labels.job }} exporter {{ $labels.instance }} is down",
            description=(
                f"Scrapes of {{{{ $labels.instance }}}} have failed for {e.for_}: the "
                "{{ $labels.job }} alerts and panels of this host or database see nothing."
            ),
        )
    ]


def _node(k: Knobs) -> list[Rule]:
    e = k.exporters
    fs_m = ('fstype!=""',)
    ro = f"{_sel(k, x.NODE_FS_READONLY, x.NODE_JOB, *fs_m)} == 0"
    avail = _sel(k, x.NODE_FS_AVAIL, x.NODE_JOB, *fs_m)
    size = _sel(k, x.NODE_FS_SIZE, x.NODE_JOB, *fs_m)
    files_free = _sel(k, x.NODE_FS_FILES_FREE, x.NODE_JOB, *fs_m)
    files = _sel(k, x.NODE_FS_FILES, x.NODE_JOB, *fs_m)
    fw, ino, mem, cpu = e.filesystem_will_fill, e.inodes_low, e.memory_pressure, e.cpu_saturated
    host = _per_target(k)
    mem_ratio = (
        f"max {by(host)} ({_sel(k, x.NODE_MEM_AVAILABLE, x.NODE_JOB)} "
        f"/ {_sel(k, x.NODE_MEM_TOTAL, x.NODE_JOB)})"
    )
    stall = f"max {by(host)} (rate({_sel(k, x.NODE_PSI_MEMORY_WAITING, x.NODE_JOB)}[5m]))"
    cores = f"count {by(host)} ({_sel(k, x.NODE_CPU, x.NODE_JOB, eq('mode', 'idle'))})"
    where = "{{ $labels.mountpoint }} on {{ $labels.instance }}"
    warn = ServiceAlerts(k, Dashboard.HOST, ("instance",))
    return [
        warn(
            Alert.NODE_FILESYSTEM_WILL_FILL,
            expr=(
                f"({avail} / {size} < {num(fw.max_free)}"
                f" and predict_linear({avail}[{fw.history}], {num(seconds(fw.within))}) < 0"
                f" and {ro})"
            ),
            for_=fw.for_,
            summary=f"{where} will be full within {fw.within}",
            description=(
                "{{ $value | humanizePercentage }} of the file system is free; at the trend of "
                f"the last {fw.history} it has no space left within {fw.within}."
            ),
        ),
        warn(
            Alert.NODE_FILESYSTEM_INODES_LOW,
            expr=f"({files_free} / {files} < {num(ino.min_free)} and {ro})",
            for_=ino.for_,
            summary=f"{where} is running out of inodes",
            description=(
                "Only {{ $value | humanizePercentage }} of the inodes are free: new files fail "
                "with 'No space left on device' whatever the free bytes."
            ),
        ),
        warn(
            Alert.NODE_MEMORY_PRESSURE,
            expr=f"{mem_ratio} < {num(mem.min_available)} or {stall} > {num(mem.max_stall)}",
            for_=mem.for_,
            summary="memory pressure on {{ $labels.instance }}",
            description=(
                f"Available memory is below {num(mem.min_available * 100)}% of the total, or "
                f"tasks wait for memory more than {num(mem.max_stall * 100)}% of the time "
                "(value: {{ $value | humanizePercentage }})."
            ),
        ),
        warn(
            Alert.NODE_CPU_SATURATED,
            expr=(
                f"max {by(host)} ({_sel(k, x.NODE_LOAD5, x.NODE_JOB)}) / {cores} "
                f"> {num(cpu.load_per_core)}"
            ),
            for_=cpu.for_,
            summary="CPU saturated on {{ $labels.instance }}",
            description=(
                "The 5-minute load average is {{ $value | humanize }} per core (threshold "
                f"{num(cpu.load_per_core)}): tasks queue for CPU or disk."
            ),
        ),
    ]


def _postgres(k: Knobs) -> list[Rule]:
    e = k.exporters
    pg = x.POSTGRES_JOB
    server = _per_target(k)
    db = (*server, "datname")
    co, lt, lk, rl, dl, ch = (
        e.connections_near_limit,
        e.long_transaction,
        e.locks_waiting,
        e.replication_lag,
        e.deadlocks,
        e.cache_hit_ratio_low,
    )
    hit = f"sum {by(db)} (rate({_sel(k, x.PG_BLKS_HIT, pg)}[{ch.window}]))"
    read = f"sum {by(db)} (rate({_sel(k, x.PG_BLKS_READ, pg)}[{ch.window}]))"
    on = "{{ $labels.instance }}"
    warn = ServiceAlerts(k, Dashboard.POSTGRES, ("instance",))
    return [
        warn(
            Alert.POSTGRES_CONNECTIONS_NEAR_LIMIT,
            expr=(
                f"sum {by(server)} ({_sel(k, x.PG_CONNECTIONS, pg)}) "
                f"/ max {by(server)} ({_sel(k, x.PG_MAX_CONNECTIONS, pg)}) > {num(co.threshold)}"
            ),
            for_=co.for_,
            summary=f"PostgreSQL {on} is near max_connections",
            description=(
                "{{ $value | humanizePercentage }} of max_connections are in use: new "
                "connections will soon be refused."
            ),
        ),
        warn(
            Alert.POSTGRES_LONG_TRANSACTION,
            expr=(f"max {by(db)} ({_sel(k, x.PG_MAX_TX_DURATION, pg)}) > {num(lt.max_seconds)}"),
            for_=lt.for_,
            summary="long transaction in {{ $labels.datname }}",
            description=(
                "A transaction in {{ $labels.datname }} on " + on + " has been open for "
                "{{ $value | humanizeDuration }}: it holds locks and keeps vacuum from "
                "removing dead rows."
            ),
        ),
        warn(
            Alert.POSTGRES_LOCKS_WAITING,
            expr=f"max {by(server)} ({_sel(k, x.PG_LOCKS_WAITING, pg)}) >= {num(lk.min_waiting)}",
            for_=lk.for_,
            summary=f"queries wait for locks on PostgreSQL {on}",
            description=(
                "{{ $value | humanize }} lock requests have been waiting, continuously for "
                f"{lk.for_}: a transaction holds locks others need."
            ),
        ),
        warn(
            Alert.POSTGRES_REPLICATION_LAG,
            expr=(
                f"max {by(server)} ({_sel(k, x.PG_REPLICATION_LAG, pg)}) > {num(rl.max_seconds)} "
                f"and on ({', '.join(server)}) "
                f"max {by(server)} ({_sel(k, x.PG_REPLICATION_IS_REPLICA, pg)}) == 1"
            ),
            for_=rl.for_,
            summary=f"replica {on} lags behind its primary",
            description=(
                "The replica has not replayed the primary's changes of the last "
                "{{ $value | humanizeDuration }}: reads from it return stale data."
            ),
        ),
        warn(
            Alert.POSTGRES_DEADLOCKS,
            expr=f"sum {by(db)} (increase({_sel(k, x.PG_DEADLOCKS, pg)}[{dl.window}])) > 0",
            for_="0m",
            summary="deadlocks in {{ $labels.datname }}",
            description=(
                "About {{ $value | humanize }} deadlocks in {{ $labels.datname }} in the last "
                f"{dl.window}: PostgreSQL aborted a transaction of each to break them."
            ),
        ),
        warn(
            Alert.POSTGRES_CACHE_HIT_RATIO_LOW,
            expr=(
                f"{hit} / ({hit} + {read}) < {num(ch.threshold)} "
                f"and ({hit} + {read}) > {num(ch.min_rate)}"
            ),
            for_=ch.for_,
            summary="low cache hit ratio in {{ $labels.datname }}",
            description=(
                "Only {{ $value | humanizePercentage }} of block reads over the last "
                f"{ch.window} came from shared buffers (threshold "
                f"{num(ch.threshold * 100)}%): queries go to disk."
            ),
        ),
    ]


def exporter_groups(knobs: Knobs) -> list[dict[str, Any]]:
    """The exporter rule groups: one per exporter with targets, then their availability."""
    e: ExporterKnobs = knobs.exporters
    groups: list[dict[str, Any]] = []
    if e.targets(x.NODE_JOB):
        groups.append({"name": "signalpost.node", "rules": _node(knobs)})
    if e.targets(x.POSTGRES_JOB):
        groups.append({"name": "signalpost.postgres", "rules": _postgres(knobs)})
    if groups:
        groups.append({"name": "signalpost.exporters", "rules": _down(knobs)})
    return groups
