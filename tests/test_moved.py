"""The paths of the previous layout keep importing for one release: every old module path is
the new module itself (the same object) and warns, naming where it is now."""

from __future__ import annotations

import importlib
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from signalpost import _moved
from signalpost.errors import ErrorClassifier
from signalpost.jobs import run as run_module

ROOT = Path(__file__).resolve().parents[1]

# The aliases of the first moves (before the layout by feature) stay in the same table.
EARLIER_ALIASES = {
    "signalpost.instrumentation.celery": "signalpost.integrations.celery.instrument",
    "signalpost.instrumentation.celery_jobs": "signalpost.integrations.celery.jobs",
    "signalpost.instrumentation.celery_pool": "signalpost.integrations.celery.pool",
    "signalpost.instrumentation.celery_waiting": "signalpost.integrations.celery.waiting",
    "signalpost.instrumentation.arq": "signalpost.integrations.arq.instrument",
    "signalpost.instrumentation.arq_jobs": "signalpost.integrations.arq.jobs",
    "signalpost.instrumentation.queuelogs": "signalpost.integrations.queuelogs",
}


def forget(old: str) -> None:
    """Drop ``old`` (not its new module) from the import cache, so that it imports afresh,
    its old parent package already imported (which warns for itself)."""
    parent = old.rsplit(".", 1)[0]
    if parent != "signalpost":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            importlib.import_module(parent)
    sys.modules.pop(old, None)


@pytest.mark.parametrize(("old", "new"), sorted(_moved.MOVED.items()))
def test_an_old_path_is_the_new_module_and_warns(old: str, new: str) -> None:
    forget(old)
    advice = _moved.new_path(old)
    with pytest.warns(DeprecationWarning, match=f"^{old} is deprecated: import {advice} instead$"):
        alias = importlib.import_module(old)
    assert alias is importlib.import_module(new)
    assert alias.__name__ == new and alias.__spec__ is not None and alias.__spec__.name == new


def test_every_module_of_the_old_folders_has_a_row() -> None:
    """The old folders, as the table lists them: every module's parent package is an old path
    too, and every new module the table names exists (as a file of the library)."""
    old_paths = set(_moved.MOVED) | set(_moved.OLD_PACKAGES)
    for old in old_paths - {"signalpost.instrumentation", "signalpost.exporters"}:
        assert old.rsplit(".", 1)[0] in old_paths, old
    for new in _moved.MOVED.values():
        relative = Path(*new.split("."))
        assert (ROOT / f"{relative}.py").is_file() or (ROOT / relative / "__init__.py").is_file()
    assert EARLIER_ALIASES.items() <= _moved.MOVED.items()
    # The 115 modules of signalpost/instrumentation/ and signalpost/exporters/ on main before
    # the move (`git ls-tree -r ae922b5 signalpost/instrumentation signalpost/exporters`),
    # the alias stubs included.
    assert len(old_paths) == 115


def test_the_old_package_offers_its_names() -> None:
    forget("signalpost.instrumentation")
    with pytest.warns(DeprecationWarning, match="import signalpost.errors and signalpost.context"):
        old = importlib.import_module("signalpost.instrumentation")
    assert old.ErrorClassifier is ErrorClassifier
    assert {"Scrubber", "current_job_id", "current_request_id", "default_classifier"} <= set(
        old.__all__
    )


def test_monkeypatching_an_old_path_patches_the_new_module(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    forget("signalpost.instrumentation.jobs.run")
    with pytest.warns(DeprecationWarning, match="import signalpost.jobs.run instead"):
        old = importlib.import_module("signalpost.instrumentation.jobs.run")
    def patched() -> run_module.JobRun:
        raise AssertionError("not called")

    monkeypatch.setattr(old, "current_run", patched)
    assert run_module.current_run is patched


def test_a_path_that_never_existed_is_not_found() -> None:
    """Not loaded a second time from the new folder under an old name."""
    for missing in ("signalpost.instrumentation.nope", "signalpost.exporters.jobs"):
        with pytest.raises(ModuleNotFoundError):
            importlib.import_module(missing)


def test_the_new_paths_import_without_a_warning() -> None:
    probe = (
        "import signalpost, signalpost.celery, signalpost.arq, signalpost.jobs.run, "
        "signalpost.sdk.setup, signalpost.serving.metrics"
    )
    subprocess.run([sys.executable, "-W", "error", "-c", probe], cwd=ROOT, check=True)
