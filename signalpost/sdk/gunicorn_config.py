"""gunicorn settings for running a Signalpost app with several uvicorn workers.

Point gunicorn at it::

    export PROMETHEUS_MULTIPROC_DIR=/run/myapp/metrics   # must exist and be empty
    gunicorn -c python:signalpost.sdk.gunicorn_config -w 4 myapp:app

or import the hooks into your own config file::

    from signalpost.sdk.gunicorn_config import child_exit, on_starting  # noqa: F401

``on_starting`` refuses to start unless ``PROMETHEUS_MULTIPROC_DIR`` names a writable
directory; ``child_exit`` tells prometheus-client a worker is gone, so its live gauges
(``livesum``, ``livemax`` ...) stop counting while its counters and histograms still add up.
The variable must be set in the environment gunicorn starts in: prometheus-client decides at
import time whether values go to shared files. Empty the directory before each start (old
files would add a previous run's totals).
"""

from __future__ import annotations

import os
from typing import Any, Protocol

from prometheus_client import multiprocess

from signalpost.sdk.config import load_config
from signalpost.sdk.otel_env import check_otel_environment
from signalpost.serving.metrics.registry import check_multiprocess_dir

__all__ = ["child_exit", "on_starting", "worker_class"]

# Default worker; ``-k`` on the command line overrides it. ``uvicorn.workers`` is deprecated
# in uvicorn, the separate uvicorn-worker package carries the worker now.
worker_class = "uvicorn_worker.UvicornWorker"


class _Worker(Protocol):
    pid: int


def on_starting(server: Any) -> None:
    """gunicorn hook (master, before workers start): check the settings and
    ``PROMETHEUS_MULTIPROC_DIR``.

    Raises:
        SettingsError: A ``SIGNALPOST_*`` or ``OTEL_*`` setting is bad; gunicorn exits with its
            one line once, instead of restarting workers that each fail the same way.
        MultiprocessDirError: If the variable is unset or the directory is unusable; gunicorn
            then exits with this message instead of serving per-worker metrics.
    """
    config = load_config()
    check_otel_environment(os.environ, otlp_metrics=config.metrics.otlp)
    check_multiprocess_dir()


def child_exit(server: Any, worker: _Worker) -> None:
    """gunicorn hook (master, after a worker exited): drop the worker's live gauge files."""
    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
