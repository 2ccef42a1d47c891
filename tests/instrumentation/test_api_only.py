"""instrumentation/ runs inside user apps: OpenTelemetry API only, nothing started at import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys, threading
import signalpost, signalpost.instrumentation, signalpost.instrumentation.asgi, signalpost.instrumentation.jobs, signalpost.instrumentation.health
import signalpost.instrumentation.db, signalpost.instrumentation.logcontext, signalpost.instrumentation.semconv.reference
print(json.dumps({
    "sdk": sorted(m for m in sys.modules if m.startswith("opentelemetry.sdk")),
    "exporters": sorted(m for m in sys.modules if m.startswith("signalpost.exporters")),
    "threads": threading.active_count(),
}))
"""


def test_instrumentation_imports_no_sdk_and_starts_nothing() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, check=True, capture_output=True, text=True
    )
    found = json.loads(out.stdout)
    assert found == {"sdk": [], "exporters": [], "threads": 1}
