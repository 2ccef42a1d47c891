"""setup() freezes the start-up heap once the app's start-up has run (once per process).

Each case runs in a fresh interpreter: freezing is process-wide and happens once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]

SCRIPT = """
import contextlib, gc, json, sys, weakref
gc.disable()  # only an explicit collection may free the start-up cycle below
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from starlette.testclient import TestClient
from signalpost.sdk.gcfreeze import freeze_startup_heap
from signalpost.sdk import SetupOptions
from signalpost.sdk.setup import setup

class Node:
    pass

left_behind = []

@contextlib.asynccontextmanager
async def lifespan(app):
    a, b = Node(), Node()
    a.other, b.other = b, a  # cyclic garbage left by the app's own start-up
    left_behind.append(weakref.ref(a))
    del a, b
    app.state.kept = Node()
    yield

def make_app():
    app = FastAPI(lifespan=lifespan)

    @app.get("/ok")
    async def ok():
        return {"frozen": gc.get_freeze_count()}

    options = SetupOptions(registry=CollectorRegistry(), set_global_providers=False,
                           configure_logging=False, **json.loads(sys.argv[1]))
    setup(app, options=options)
    return app

out = {"before": gc.get_freeze_count()}
app = make_app()
out["after_setup"] = gc.get_freeze_count()
with TestClient(app) as client:
    out["while_serving"] = client.get("/ok").json()["frozen"]
    out["startup_cycle_freed"] = left_behind[0]() is None
out["after_shutdown"] = gc.get_freeze_count()
with TestClient(make_app()) as client:
    out["second_app"] = client.get("/ok").json()["frozen"]
out["later_call_froze"] = freeze_startup_heap()
print(json.dumps(out))
"""


def run(**kwargs: Any) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "SIGNALPOST_"))}
    env["OTEL_SDK_DISABLED"] = "true"
    env["PYTHONPATH"] = str(REPO)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(kwargs)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_heap_is_frozen_once_after_the_apps_startup() -> None:
    out = run()
    assert out["before"] == 0
    assert out["after_setup"] == 0  # nothing happens before the server starts the app
    assert out["while_serving"] > 10_000  # the modules and classes of FastAPI, SDK, ...
    assert out["startup_cycle_freed"] is True  # collected before freezing, not pinned
    # Once per process: a second app's start-up freezes nothing more (frozen objects still
    # go when their reference count drops, so the count can only shrink).
    assert out["second_app"] <= out["after_shutdown"] <= out["while_serving"]
    assert out["later_call_froze"] is False


def test_gc_freeze_false_leaves_the_collector_alone() -> None:
    out = run(gc_freeze=False)
    assert out["while_serving"] == out["second_app"] == out["after_shutdown"] == 0
    assert out["startup_cycle_freed"] is False  # no collection was forced either
    assert out["later_call_froze"] is True
