"""The app gunicorn serves in tests/serving/test_prometheus_multiprocess.py.

Run as ``tests.serving.multiprocess_app:create_app()`` with ``PROMETHEUS_MULTIPROC_DIR`` set:
every worker records into the shared directory and any worker's /metrics merges them all.
"""

from __future__ import annotations

import os
import time

from fastapi import FastAPI

from signalpost.sdk import setup


def create_app() -> FastAPI:
    app = FastAPI()

    @app.get("/work")
    async def work() -> dict[str, int]:
        # Blocking on purpose: a busy worker cannot accept the next connection, so the kernel
        # hands it to the other worker and the test sees both serve.
        time.sleep(0.002)
        return {"pid": os.getpid()}

    # The one-call set-up, as users run it: with PROMETHEUS_MULTIPROC_DIR set, its /metrics
    # merges every worker's files.
    setup(app)
    return app
