"""Process metrics Signalpost relies on but does not define: prometheus-client's own.

prometheus-client's default ``ProcessCollector`` exports these on every ``/metrics`` (not in
gunicorn multiprocess mode); health checks judge the same quantities without re-exporting them,
and the dashboards chart them under these names.
"""

from __future__ import annotations

__all__ = ["OPEN_FDS", "PROCESS_COLLECTOR_METRICS", "RESIDENT_MEMORY"]

RESIDENT_MEMORY = "process_resident_memory_bytes"
"""Resident set size of the process, in bytes."""
OPEN_FDS = "process_open_fds"
"""Number of open file descriptors."""

PROCESS_COLLECTOR_METRICS: frozenset[str] = frozenset({RESIDENT_MEMORY, OPEN_FDS})
