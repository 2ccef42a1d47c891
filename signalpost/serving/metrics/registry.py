"""Which registry the metrics endpoint reads: explicit, multiprocess, or the global one."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector

__all__ = [
    "MultiprocessDirError",
    "check_multiprocess_dir",
    "resolve_registry",
]

_MULTIPROC_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"


class MultiprocessDirError(ValueError):
    """``PROMETHEUS_MULTIPROC_DIR`` is unset or names no usable directory."""


def check_multiprocess_dir(
    path: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> Path:
    """Validate prometheus-client's multiprocess directory and return it.

    Reads ``PROMETHEUS_MULTIPROC_DIR`` when ``path`` is not given.

    Args:
        path: The directory to check; defaults to ``PROMETHEUS_MULTIPROC_DIR``.
        environ: The environment to read (default: ``os.environ``).

    Returns:
        The directory as a :class:`~pathlib.Path`.

    Raises:
        MultiprocessDirError: If the directory is not set, does not exist, is not a
            directory, or this process cannot create files in it.
    """
    if path is None:
        env = os.environ if environ is None else environ
        value = env.get(_MULTIPROC_DIR_ENV, "")
        source = f"{_MULTIPROC_DIR_ENV}={value!r}"
        if not value:
            raise MultiprocessDirError(
                f"{_MULTIPROC_DIR_ENV} is not set or empty: multiprocess mode needs it set to an "
                "empty, writable directory before the server (and prometheus-client) starts"
            )
    else:
        value = os.fspath(path)
        source = f"multiprocess directory {value!r}"
    directory = Path(value)
    if not directory.exists():
        raise MultiprocessDirError(
            f"{source}: directory does not exist; create it (empty) before starting the server"
        )
    if not directory.is_dir():
        raise MultiprocessDirError(f"{source}: not a directory")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise MultiprocessDirError(
            f"{source}: directory is not writable by this process (uid {os.getuid()})"
        )
    return directory


def resolve_registry(
    registry: CollectorRegistry | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> CollectorRegistry:
    """Choose the registry the metrics endpoint exposes.

    An explicit ``registry`` wins. Otherwise, when ``PROMETHEUS_MULTIPROC_DIR`` is set, a fresh
    :class:`~prometheus_client.CollectorRegistry` that merges every process's files through
    :class:`~prometheus_client.multiprocess.MultiProcessCollector` (the directory is validated
    first). Otherwise prometheus-client's global ``REGISTRY``.

    Args:
        registry: The registry to expose, taken as is.
        environ: The environment to read (default: ``os.environ``).

    Raises:
        MultiprocessDirError: If ``PROMETHEUS_MULTIPROC_DIR`` is present but empty or unusable.
    """
    if registry is not None:
        return registry
    env = os.environ if environ is None else environ
    # prometheus-client switches to multiprocess values when the variable is present at all,
    # so a present but empty value is an error here rather than a silent fall-back.
    if _MULTIPROC_DIR_ENV in env:
        directory = check_multiprocess_dir(environ=env)
        merged = CollectorRegistry()
        MultiProcessCollector(merged, path=str(directory))  # type: ignore[no-untyped-call]
        return merged
    return REGISTRY
