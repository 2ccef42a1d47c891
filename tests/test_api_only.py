"""The folders that run inside user apps (HTTP, jobs, health, database, errors, breaker,
semconv, serving and the shared core) use the OpenTelemetry API only and start nothing at
import: the SDK, and :mod:`signalpost.sdk` that sets it up, load only when set-up asks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

IN_APP = ["http", "jobs", "health", "database", "errors", "breaker", "semconv", "serving"]
CORE = ["runtime", "failsafe", "clock", "context", "globs", "metrics", "cardinality",
        "asgitypes", "loggers", "logcontext", "logadapters"]

PROBE = """
import importlib, json, pkgutil, sys, threading
import signalpost
folders, core = json.loads(sys.argv[1])
imported = []
for folder in folders:
    package = importlib.import_module(f"signalpost.{folder}")
    imported.append(package.__name__)
    for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        imported.append(importlib.import_module(info.name).__name__)
for name in core:
    imported.append(importlib.import_module(f"signalpost.{name}").__name__)
print(json.dumps({
    "imported": len(imported),
    "sdk": sorted(m for m in sys.modules if m.startswith("opentelemetry.sdk")),
    "setup": sorted(m for m in sys.modules if m.startswith("signalpost.sdk")),
    "threads": threading.active_count(),
}))
"""


def test_in_app_folders_import_no_sdk_and_start_nothing() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps([IN_APP, CORE])],
        cwd=ROOT, check=True, capture_output=True, text=True,
    )
    found = json.loads(out.stdout)
    assert found.pop("imported") > 80
    assert found == {"sdk": [], "setup": [], "threads": 1}
