"""Registry selection for the endpoint, multiprocess directory checks and the gunicorn hooks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, values
from prometheus_client.multiprocess import MultiProcessCollector

from signalpost.sdk import gunicorn_config
from signalpost.serving.metrics import (
    MultiprocessDirError,
    check_multiprocess_dir,
    metrics_app,
    resolve_registry,
)

ENV = "PROMETHEUS_MULTIPROC_DIR"

AsProcess = Callable[[int], None]


@pytest.fixture
def multiproc_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A multiprocess directory in the environment, and a way to write metrics "as" a pid.

    prometheus-client picks its value class at import, so the test swaps it the way
    prometheus-client's own tests do, and closes the files it opened afterwards.
    """
    directory = tmp_path / "multiproc"
    directory.mkdir()
    monkeypatch.setenv(ENV, str(directory))
    yield directory
    values.close_all_multiprocess_files()


@pytest.fixture
def as_process(monkeypatch: pytest.MonkeyPatch) -> AsProcess:
    def switch(pid: int) -> None:
        monkeypatch.setattr(values, "ValueClass", values.MultiProcessValue(lambda: pid))

    return switch


def test_explicit_registry_wins(multiproc_dir: Path) -> None:
    registry = CollectorRegistry()
    assert resolve_registry(registry) is registry
    assert metrics_app(registry).registry is registry


def test_global_registry_without_multiprocess(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    assert resolve_registry() is REGISTRY
    assert resolve_registry(environ={}) is REGISTRY


def test_multiprocess_registry_merges_processes(multiproc_dir: Path, as_process: AsProcess) -> None:
    for pid, amount in ((101, 2.0), (102, 5.0)):
        as_process(pid)
        # Each "process" defines the metric, as each worker imports the app.
        Counter("work", "Work done.", ["kind"], registry=None).labels("a").inc(amount)

    registry = resolve_registry()
    assert registry is not REGISTRY
    assert any(isinstance(c, MultiProcessCollector) for c in registry._collector_to_names)
    assert registry.get_sample_value("work_total", {"kind": "a"}) == 7.0
    # A fresh registry per call, so two endpoints never double-register.
    assert resolve_registry() is not registry


def test_environ_can_be_injected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    registry = resolve_registry(environ={ENV: str(tmp_path)})
    assert registry is not REGISTRY


@pytest.mark.parametrize("value", ["", "missing", "a-file"])
def test_unusable_multiprocess_dir_is_a_clear_error(tmp_path: Path, value: str) -> None:
    (tmp_path / "a-file").write_text("x")
    path = str(tmp_path / value) if value else ""
    with pytest.raises(MultiprocessDirError, match=ENV):
        resolve_registry(environ={ENV: path})


def test_check_multiprocess_dir(tmp_path: Path) -> None:
    assert check_multiprocess_dir(tmp_path) == tmp_path
    assert check_multiprocess_dir(environ={ENV: str(tmp_path)}) == tmp_path
    with pytest.raises(MultiprocessDirError, match="not set"):
        check_multiprocess_dir(environ={})
    with pytest.raises(MultiprocessDirError, match="does not exist"):
        check_multiprocess_dir(tmp_path / "nope")
    (tmp_path / "file").write_text("")
    with pytest.raises(MultiprocessDirError, match="not a directory"):
        check_multiprocess_dir(tmp_path / "file")


def test_gunicorn_on_starting_refuses_without_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    with pytest.raises(MultiprocessDirError, match=ENV):
        gunicorn_config.on_starting(server=None)


def test_gunicorn_on_starting_accepts_dir(multiproc_dir: Path) -> None:
    gunicorn_config.on_starting(server=None)


def test_gunicorn_child_exit_drops_live_gauges_keeps_counters(
    multiproc_dir: Path, as_process: AsProcess
) -> None:
    for pid in (201, 202):
        as_process(pid)
        Counter("served", "Requests served.", registry=None).inc()
        Gauge("busy", "In flight.", multiprocess_mode="livesum", registry=None).inc()

    registry = resolve_registry()
    assert registry.get_sample_value("busy") == 2.0
    assert registry.get_sample_value("served_total") == 2.0

    gunicorn_config.child_exit(server=None, worker=SimpleNamespace(pid=201))

    assert not (multiproc_dir / "gauge_livesum_201.db").exists()
    assert registry.get_sample_value("busy") == 1.0
    assert registry.get_sample_value("served_total") == 2.0
