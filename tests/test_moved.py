"""Modules moved by the layout by feature keep a deprecated alias for one release: importing
it warns, and its names are the new module's."""

from __future__ import annotations

import importlib
import sys

import pytest

MOVED = {
    "signalpost.instrumentation.celery": "signalpost.integrations.celery.instrument",
    "signalpost.instrumentation.celery_jobs": "signalpost.integrations.celery.jobs",
    "signalpost.instrumentation.celery_pool": "signalpost.integrations.celery.pool",
    "signalpost.instrumentation.celery_waiting": "signalpost.integrations.celery.waiting",
    "signalpost.instrumentation.arq": "signalpost.integrations.arq.instrument",
    "signalpost.instrumentation.arq_jobs": "signalpost.integrations.arq.jobs",
    "signalpost.instrumentation.queuelogs": "signalpost.integrations.queuelogs",
    "signalpost.instrumentation.defaults": "signalpost.runtime",
}


@pytest.mark.parametrize(("old", "new"), sorted(MOVED.items()))
def test_an_old_path_warns_and_forwards(old: str, new: str) -> None:
    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=f"import {new} instead|use {new}"):
        alias = importlib.import_module(old)
    target = importlib.import_module(new)
    for name in getattr(target, "__all__", []):
        if old.endswith("defaults") and name not in ("current", "reset"):
            continue
        assert getattr(alias, name) is getattr(target, name), name
